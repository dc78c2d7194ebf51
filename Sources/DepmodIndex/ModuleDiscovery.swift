import SystemPackage
import SystemSupport

/// Finds the module files of one kernel as depmod does (docs/depmod-index.md, Walking the module tree): the
/// module directory, then each external directory, in raw `readdir` order, skipping `build`, `source` and excluded
/// names, keeping one file per module name by `DuplicatePriority`.
struct ModuleDiscovery {
    let root: Root
    let release: String
    let configuration: DepmodConfiguration
    let sink: any DiagnosticSink
    /// Listings kept from an earlier walk in the same command, reused where the directory is unchanged.
    var snapshot: ModuleTreeSnapshot? = nil

    /// The module directory as the system sees it.
    var moduleDirectory: String { "/lib/modules/\(release)" }

    /// Every module kept, in discovery order.
    func discover() -> [ModuleFile] {
        var found = [ModuleFile]()
        var positionByName = [String: Int]()
        let priority = DuplicatePriority(configuration: configuration, moduleDirectory: moduleDirectory)
        func consider(_ file: ModuleFile) {
            guard let position = positionByName[file.name] else {
                positionByName[file.name] = found.count
                found.append(file)
                return
            }
            if priority.candidateWins(file, over: found[position]) { found[position] = file }
        }
        walk(systemDirectory: moduleDirectory, into: consider)
        for directory in configuration.externalDirectories {
            walk(systemDirectory: directory, into: consider)
        }
        return found
    }

    /// Every module file found, duplicates included, in walk order.
    func all() -> [ModuleFile] {
        var found = [ModuleFile]()
        walk(systemDirectory: moduleDirectory) { found.append($0) }
        for directory in configuration.externalDirectories {
            walk(systemDirectory: directory) { found.append($0) }
        }
        return found
    }

    /// What one directory of the walk holds: module files, directories to walk, and warnings.
    enum Item: Sendable {
        case module(ModuleFile)
        case directory(systemPath: String)
        case warning(String, file: FilePath)
    }

    private func walk(systemDirectory: String, into consider: (ModuleFile) -> Void) {
        for item in items(systemDirectory: systemDirectory) {
            switch item {
            case .module(let module): consider(module)
            case .directory(let systemPath): walk(systemDirectory: systemPath, into: consider)
            case .warning(let message, let file): sink.warning(message, file: file)
            }
        }
    }

    /// The items of one directory: from the snapshot, if it kept them for an unchanged listing, else made from
    /// the listing (and kept).
    private func items(systemDirectory: String) -> [Item] {
        let hostDirectory = root.resolve(FilePath(systemDirectory))
        // Links and entries of unknown type need a stat to say what they are; module files get one for the
        // parse cache, taken here where it is cheapest.
        let wantsStatus = { (entry: DirectoryListing.Entry) in
            entry.kind != .directory && (entry.kind != .regularFile || ModuleFile.isModuleFileName(entry.name))
        }
        guard let snapshot else {
            return DirectoryListing.entries(in: hostDirectory, withStatusOf: wantsStatus)
                .map { items(of: $0, hostDirectory: hostDirectory, systemDirectory: systemDirectory) } ?? []
        }
        return snapshot.items(in: hostDirectory, withStatusOf: wantsStatus) { listing in
            items(of: listing, hostDirectory: hostDirectory, systemDirectory: systemDirectory)
        }
    }

    private func items(
        of listing: [(entry: DirectoryListing.Entry, status: FileStatus?)], hostDirectory: FilePath, systemDirectory: String
    ) -> [Item] {
        var items = [Item]()
        for (entry, status) in listing {
            if entry.name == "build" || entry.name == "source" || configuration.excludedNames.contains(entry.name) { continue }
            let hostPath = hostDirectory.appending(entry.name)
            let systemPath = systemDirectory.hasSuffix("/") ? systemDirectory + entry.name : systemDirectory + "/" + entry.name
            var isDirectory = entry.kind == .directory
            if entry.kind == .symbolicLink || entry.kind == .unknown || entry.kind == .other {
                // Like depmod, follow links (to files and directories alike) and ask stat what the target is.
                guard let status, status.kind != .other else {
                    items.append(.warning("unsupported file type", file: hostPath))
                    continue
                }
                isDirectory = status.kind == .directory
            }
            if isDirectory {
                // Links are followed without loop detection, as depmod does; a loop ends at PATH_MAX.
                guard systemPath.utf8.count < 4096 else {
                    items.append(.warning("path too long (a symbolic link loop?)", file: hostPath))
                    continue
                }
                items.append(.directory(systemPath: systemPath))
            } else if ModuleFile.isModuleFileName(entry.name) {
                var module = ModuleFile(hostPath: hostPath, systemPath: systemPath, moduleDirectory: moduleDirectory)
                module.status = status
                items.append(.module(module))
            }
        }
        return items
    }
}

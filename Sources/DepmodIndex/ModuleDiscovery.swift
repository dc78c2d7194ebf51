import SystemPackage
import SystemSupport

/// Finds the module files of one kernel as depmod does (`../shared/spec/depmod.md` §2.2): the module directory,
/// then each external directory, in raw `readdir` order, skipping `build`, `source` and excluded names, keeping
/// one file per module name by `DuplicatePriority`.
struct ModuleDiscovery {
    let root: Root
    let release: String
    let configuration: DepmodConfiguration
    let sink: any DiagnosticSink

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

    private func walk(systemDirectory: String, into consider: (ModuleFile) -> Void) {
        let hostDirectory = root.resolve(FilePath(systemDirectory))
        // Links and entries of unknown type need a stat to say what they are; module files get one for the
        // parse cache, taken here where it is cheapest.
        let listing = DirectoryListing.entries(in: hostDirectory) { entry in
            entry.kind != .directory && (entry.kind != .regularFile || ModuleFile.isModuleFileName(entry.name))
        }
        guard let listing else { return }
        for (entry, status) in listing {
            if entry.name == "build" || entry.name == "source" || configuration.excludedNames.contains(entry.name) { continue }
            let hostPath = hostDirectory.appending(entry.name)
            let systemPath = systemDirectory.hasSuffix("/") ? systemDirectory + entry.name : systemDirectory + "/" + entry.name
            var isDirectory = entry.kind == .directory
            if entry.kind == .symbolicLink || entry.kind == .unknown || entry.kind == .other {
                // Like depmod, follow links (to files and directories alike) and ask stat what the target is.
                guard let status, status.kind != .other else {
                    sink.warning("unsupported file type", file: hostPath)
                    continue
                }
                isDirectory = status.kind == .directory
            }
            if isDirectory {
                // Links are followed without loop detection, as depmod does; a loop ends at PATH_MAX.
                guard systemPath.utf8.count < 4096 else {
                    sink.warning("path too long (a symbolic link loop?)", file: hostPath)
                    continue
                }
                walk(systemDirectory: systemPath, into: consider)
            } else if ModuleFile.isModuleFileName(entry.name) {
                var module = ModuleFile(hostPath: hostPath, systemPath: systemPath, moduleDirectory: moduleDirectory)
                module.status = status
                consider(module)
            }
        }
    }
}

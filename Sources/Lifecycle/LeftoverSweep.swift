import Codecs
import StateStore
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What a killed kmodmgr left besides its journals and markers — temp files (`TemporaryName`), partial build
/// results, build scratch copies, staging directories — found only where kmodmgr writes them, and removed by
/// recovery under the state lock:
/// - the state tree (`StateStore.leftovers`);
/// - each kernel's module directory, top level only: the index's and parse cache's `modules.*.kmodmgr-PID-N.tmp`
///   and `-previous` links (`AtomicFileSet`), and a module placed there;
/// - `updates/kmodmgr` below it, where installs go by default (flat);
/// - the directory of every file a journal or install record names (modules placed by `DEST_MODULE_LOCATION`,
///   in-tree modules moved aside and put back) — never a walk of the kernel's own tree;
/// - the source tree, for a source copy of `add` (`NAME.kmodmgr-tmp-PID`) — unless NAME is missing and a registered
///   package's source: then the copy may be its only one (`add --force` killed between removing NAME and renaming
///   the copy), and it stays.
/// Under `lib/modules` only a temp of a module file (`*.ko`, `*.ko.xz`…) or of an index file (`modules.*`) is taken.
enum LeftoverSweep {
    /// Whether a temp's maker is gone: no such process, a zombie, another program since — or this very process:
    /// recovery runs before the command it serves writes anything, so a temp bearing its pid is an earlier
    /// process's (pids are reused; in a fresh pid namespace, as in a container's package hook, at once).
    static func isAbandoned(_ name: TemporaryName) -> Bool {
        name.pid == getpid() || !TemporaryName.ownerIsRunning(name.pid)
    }

    /// Everything left behind; `journals` are those of interrupted transactions (their files' directories are
    /// searched too).
    static func find(context: LifecycleContext, journals: [Journal]) -> [Leftover] {
        var found = context.state.leftovers(isAbandoned: isAbandoned)
        var searched = Set<FilePath>()
        func search(_ directory: FilePath, patterns: Set<TemporaryName.Pattern>) {
            guard searched.insert(directory).inserted else { return }
            found += TemporaryName.leftovers(in: directory, patterns: patterns) { name in
                guard isAbandoned(name) else { return false }
                return name.pattern == .file
                    ? CompressionFormat.ofModuleFileName(name.target) != nil : name.target.hasPrefix("modules.")
            }
        }
        let modules = context.root.resolve("/lib/modules")
        for release in DirectoryListing.names(in: modules).sorted() where FileTree.isDirectory(modules.appending(release)) {
            let directory = context.root.moduleDirectory(release: release)
            search(directory, patterns: [.file, .setMember, .setPrevious])
            search(directory.appending(InstallPlanning.updatesDirectory), patterns: [.file])
        }
        let stateDirectory = context.state.tree.directory
        for file in namedFiles(context: context, journals: journals) {
            let directory = context.root.resolve(FilePath(file)).removingLastComponent()
            if !directory.starts(with: stateDirectory) { search(directory, patterns: [.file]) }
        }
        let sourceTree = context.root.resolve(FilePath(context.settings.sourceTree))
        let registeredSources = Set(
            context.state.packages().compactMap { try? context.state.package($0.name, $0.version) }.map {
                context.root.resolve(FilePath($0.source))
            })
        found += TemporaryName.leftovers(in: sourceTree, patterns: [.directoryCopy]) { name in
            let target = sourceTree.appending(name.target)
            return isAbandoned(name) && (FileTree.exists(target) || !registeredSources.contains(target))
        }
        var seen = Set<FilePath>()
        return found.filter { seen.insert($0.path).inserted }
    }

    /// Removes what `find` finds and says what went, as one note (and a warning for what could not be removed).
    static func sweep(context: LifecycleContext, journals: [Journal]) {
        var removed = [String]()
        for leftover in find(context: context, journals: journals) {
            let shown = context.root.systemPath(of: leftover.path) + (leftover.isDirectory ? "/" : "")
            do {
                try FileTree.remove(leftover.path)
                removed.append(shown)
            } catch {
                context.diagnostics.warning("cannot remove \(shown), left by an interrupted kmodmgr: \(error)")
            }
        }
        guard !removed.isEmpty else { return }
        context.diagnostics.note(
            "removed what an interrupted kmodmgr left (\(removed.count)): " + removed.joined(separator: ", "))
    }

    /// The files (system paths) the journals and every install record name, outside the state tree or in it.
    private static func namedFiles(context: LifecycleContext, journals: [Journal]) -> [String] {
        var files = [String]()
        for journal in journals {
            for step in journal.steps {
                switch step {
                case .makeDirectory, .removeDirectory: break
                case .displace(let original, let backup, _), .restore(let backup, let original, _): files += [original, backup]
                case .place(_, let destination, _), .remove(let destination, _): files.append(destination)
                }
            }
        }
        let state = context.state
        for (name, version) in state.packages() {
            for entry in state.kernels(name, version) {
                guard let record = try? state.installed(name, version, release: entry.release, arch: entry.arch) else { continue }
                files += record.modules.map(\.path) + record.displaced.map(\.original)
            }
        }
        return files
    }
}

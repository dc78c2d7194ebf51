import LoadCheck
import StateStore
import SystemPackage
import SystemSupport

/// `kmodmgr verify`: whether what is installed is still what kmodmgr put there, is indexed, has lost nothing it
/// displaced, and will load into its kernel (LoadCheck).
public enum Verifying {
    /// The findings about one module file.
    public struct ModuleReport: Sendable {
        /// The module file, as the managed system sees it.
        public let path: String
        /// Problems with the installation itself (changed or missing file, missing index entry, lost backup).
        public var problems: [String] = []
        /// What the kernel will do with it.
        public var verdict: LoadVerdict

        public var isSound: Bool { problems.isEmpty && verdict.willLoad }
    }

    /// One package version installed for one kernel.
    public struct InstallReport: Sendable {
        public let package: String
        public let version: String
        public let release: String
        public var modules: [ModuleReport]
        /// Displaced modules whose backup is gone or changed.
        public var lostBackups: [String]

        public var isSound: Bool { lostBackups.isEmpty && modules.allSatisfy(\.isSound) }
    }

    /// The LoadCheck verdict for one module file (plain or compressed) against kernel `release` under `root`.
    public static func verify(file: FilePath, release: String, root: Root) -> LoadVerdict {
        LoadCheck.check(moduleAt: file, against: KernelFacts.discover(release: release, root: root))
    }

    /// Checks every install of `reference` (every package when nil) for the kernels in `releases` (all when empty).
    public static func verifyInstalled(_ reference: PackageReference?, releases: [String], context: LifecycleContext)
        throws(LifecycleError) -> [InstallReport]
    {
        var reports = [InstallReport]()
        var kernels = [String: KernelFacts]()
        var indexes = [String: Set<String>]()
        for package in context.state.packages() {
            guard reference.map({ $0.name == package.name && ($0.version == nil || $0.version == package.version) }) ?? true
            else { continue }
            for entry in context.state.kernels(package.name, package.version) where releases.isEmpty || releases.contains(entry.release) {
                let record: InstallRecord?
                do { record = try context.state.installed(package.name, package.version, release: entry.release, arch: entry.arch) } catch {
                    throw .state(error)
                }
                guard let record else { continue }
                let facts = kernels[entry.release] ?? KernelFacts.discover(release: entry.release, root: context.root)
                kernels[entry.release] = facts
                let indexed = indexes[entry.release] ?? IndexedModules(release: entry.release, root: context.root).systemPaths
                indexes[entry.release] = indexed
                reports.append(
                    report(record, package: package, release: entry.release, facts: facts, indexed: indexed, root: context.root))
            }
        }
        return reports
    }

    private static func report(
        _ record: InstallRecord, package: (name: String, version: String), release: String, facts: KernelFacts,
        indexed: Set<String>, root: Root
    ) -> InstallReport {
        let modules = record.modules.map { module -> ModuleReport in
            let file = root.resolve(FilePath(module.path))
            var report = ModuleReport(path: module.path, verdict: LoadCheck.check(moduleAt: file, against: facts))
            switch Result(catching: { () throws(SystemError) in try ContentHash.of(file: file) }) {
            case .success(let digest) where digest != module.digest:
                report.problems.append(
                    "changed since it was installed (SHA-256 \(digest.prefix(12))…, installed \(module.digest.prefix(12))…)")
            case .failure(let error): report.problems.append("missing or unreadable: \(error.errno)")
            case .success: break
            }
            if !indexed.contains(module.path) { report.problems.append("not listed in modules.dep: run kmodmgr depmod \(release)") }
            return report
        }
        let lost = record.displaced.compactMap { displaced -> String? in
            let digest = try? ContentHash.of(file: root.resolve(FilePath(displaced.backup)))
            return digest == displaced.digest ? nil : "\(displaced.original): its backup \(displaced.backup) is missing or changed"
        }
        return InstallReport(
            package: package.name, version: package.version, release: release, modules: modules, lostBackups: lost)
    }
}

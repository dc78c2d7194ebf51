import Codecs
import DKMSConf
import DepmodIndex
import FoundationEssentials
import Kernels
import StateStore
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `kmodmgr import-dkms`: adopts a system DKMS has been managing, without rebuilding anything and without moving a
/// module file. Each package version DKMS added is registered (its source stays where DKMS's link points); each
/// kernel it built for gets a build record whose modules are DKMS's, copied into kmodmgr's tree; each kernel it is
/// installed for gets an install record naming the files DKMS put under `lib/modules` (they stay there, in
/// `updates/dkms/`), with the same-named modules they override and the originals DKMS moved aside, so that
/// uninstalling through kmodmgr puts back what DKMS would. DKMS's key is kept: key discovery finds
/// `/var/lib/dkms/mok.{key,pub}`.
///
/// Every step is a commit of one record, each written atomically after what it names is on disk, and a step that
/// is already done is skipped: an import interrupted anywhere is finished by running it again. A version whose
/// import finished is marked (`StateTree.dkmsImportMarker`) and never looked at again, even once removed: DKMS's
/// tree goes stale as soon as kmodmgr uninstalls or removes what it imported. Nothing under `lib/modules` changes, so no
/// index needs rebuilding.
public enum DKMSImport {
    /// What the import did with one (package, kernel) DKMS had, or with a package it had no build of.
    public enum Outcome: Sendable, Equatable {
        case added
        case built
        case installed
        /// kmodmgr already had it (an earlier import, or its own build).
        case alreadyKnown
        /// Left to DKMS's tree, with the reason (no source, a module DKMS's build lacks…).
        case skipped(String)
    }

    public struct Entry: Sendable {
        public let package: String
        /// Empty for the package's registration.
        public let release: String
        public let arch: String
        public let outcome: Outcome
    }

    /// Imports everything in DKMS's tree at `dkmsTree` (as the managed system sees it).
    public static func importAll(dkmsTree: String = "/var/lib/dkms", context: LifecycleContext) async throws(LifecycleError)
        -> [Entry]
    {
        let lock = try context.exclusive()
        defer { withExtendedLifetime(lock) {} }
        var entries = [Entry]()
        for version in DKMSTree(systemPath: dkmsTree, root: context.root).versions {
            entries += await importVersion(version, context: context)
        }
        return entries
    }

    private static func importVersion(_ dkms: DKMSTree.Version, context: LifecycleContext) async -> [Entry] {
        let label = "\(dkms.name)/\(dkms.version)"
        func entry(_ release: String, _ arch: String, _ outcome: Outcome) -> Entry {
            Entry(package: label, release: release, arch: arch, outcome: outcome)
        }
        let marker = context.state.tree.dkmsImportMarker(dkms.name, dkms.version)
        if FileTree.exists(marker) { return [entry("", "", .alreadyKnown)] }
        let package: PackageRecord
        var entries = [Entry]()
        do throws(LifecycleError) {
            let (record, outcome) = try register(dkms, context: context)
            package = record
            entries.append(entry("", "", outcome))
        } catch {
            return [entry("", "", .skipped(error.description))]
        }
        for build in dkms.builds {
            do throws(LifecycleError) {
                let adoption = AdoptedBuild(package: package, dkms: build, context: context)
                let built = try await adoption.importBuild()
                let installed = build.installed ? try adoption.importInstall(build: built.record) : nil
                entries.append(entry(build.release, build.arch, installed ?? built.outcome))
            } catch {
                entries.append(entry(build.release, build.arch, .skipped(error.description)))
            }
        }
        if !entries.contains(where: { if case .skipped = $0.outcome { true } else { false } }) {
            do {
                try FileTree.makeDirectories(marker.removingLastComponent())
                try AtomicFile.write(Array("imported from \(dkms.source)\n".utf8), to: marker)
            } catch {
                entries.append(entry("", "", .skipped(error.description)))
            }
        }
        return entries
    }

    /// The package's registration: kmodmgr's own if it has one, else DKMS's source (each build's import checks that
    /// its dkms.conf declares this name and version).
    private static func register(_ dkms: DKMSTree.Version, context: LifecycleContext) throws(LifecycleError)
        -> (PackageRecord, Outcome)
    {
        do {
            if let known = try context.state.package(dkms.name, dkms.version) { return (known, .alreadyKnown) }
        } catch {
            throw .state(error)
        }
        let source = context.root.resolve(FilePath(dkms.source))
        guard FileTree.exists(source.appending("dkms.conf")) else { throw .missingManifest(directory: dkms.source) }
        let record = PackageRecord(name: dkms.name, version: dkms.version, source: dkms.source, added: Int(time(nil)))
        do {
            try context.state.register(record)
        } catch {
            throw .state(error)
        }
        return (record, .added)
    }
}

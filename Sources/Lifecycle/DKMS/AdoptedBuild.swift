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

/// One of DKMS's builds made kmodmgr's: its modules stored as a kmodmgr build result, and, where DKMS installed
/// it, an install record naming DKMS's files where they are.
struct AdoptedBuild {
    let package: PackageRecord
    let dkms: DKMSTree.Build
    let context: LifecycleContext

    private var tree: StateTree { context.state.tree }
    private var name: String { package.name }
    private var version: String { package.version }
    private var label: String { "\(name)/\(version)" }

    /// The build record of this kernel: kmodmgr's own if it has a successful one, else made from DKMS's modules.
    func importBuild() async throws(LifecycleError) -> (record: BuildRecord, outcome: DKMSImport.Outcome) {
        if let known = try existingRecord(), known.state == .built { return (known, .alreadyKnown) }
        let source = context.sourceDirectory(package)
        let kernel = try? KernelInventory.kernel(
            release: dkms.release, root: context.root, digestCache: context.state.tree.kernelDigests)
        let manifest = try await context.manifest(
            source: source, release: dkms.release, arch: dkms.arch, kernelSourceDirectory: kernel?.buildDirectory ?? "",
            dkmsTree: tree.scratchTree(release: dkms.release, arch: dkms.arch).string, package: (name, version))
        guard manifest.name == name, manifest.version == version else {
            throw .nameMismatch(
                file: source.appending("dkms.conf").string, declared: "\(manifest.name)/\(manifest.version)", expected: label)
        }
        let manifestJSON = try StoredManifest.encode(manifest, label: label)
        // Without the kernel's headers (removed since DKMS built) the build stays usable for uninstall; status then
        // calls it stale, which it is: it could not be made again.
        var record = try BuildRecord.fingerprinted(
            state: .built, source: source, manifest: manifest, manifestJSON: manifestJSON,
            headersDigest: kernel?.headersDigest ?? "", headersStamp: kernel?.headersStamp ?? "")
        record.time = Int(time(nil))
        record.modules = try storeModules(manifest, manifestJSON: manifestJSON, build: record.build)
        copyLog(build: record.build)
        do {
            try context.state.commit(record, name, version, release: dkms.release, arch: dkms.arch)
        } catch {
            throw .state(error)
        }
        return (record, .built)
    }

    private func existingRecord() throws(LifecycleError) -> BuildRecord? {
        do {
            return try context.state.build(name, version, release: dkms.release, arch: dkms.arch)
        } catch {
            throw .state(error)
        }
    }

    /// DKMS's modules, decompressed (kmodmgr stores plain modules and compresses at install), in `<build>.partial`
    /// renamed to `<build>`: what BuildResultStore leaves after a build.
    private func storeModules(_ manifest: PackageManifest, manifestJSON: [UInt8], build: String) throws(LifecycleError)
        -> [BuiltModule]
    {
        let final = tree.result(name, version, release: dkms.release, arch: dkms.arch, build: build)
        let partial = TemporaryName.make(.partialResult, for: final)
        var modules = [BuiltModule]()
        do throws(SystemError) {
            try FileTree.remove(partial)
            try FileTree.makeDirectories(partial.appending("module"))
            for declaration in manifest.modules {
                guard let file = dkms.builtModule(declaration.destName) else {
                    throw SystemError(
                        "find DKMS's built \(declaration.destName).ko in", path: dkms.directory.appending("module"),
                        errno: .noSuchFileOrDirectory)
                }
                let image = try Self.moduleImage(file)
                try AtomicFile.write(image, to: partial.appending("module").appending(declaration.destName + ".ko"))
                modules.append(BuiltModule(name: declaration.destName, digest: ContentHash.of(image)))
            }
            try AtomicFile.write(manifestJSON, to: partial.appending("manifest.json"))
            FaultInjection.point("import: result before rename")
            guard rename(partial.string, final.string) == 0 else {
                throw SystemError("rename into place", path: final, errno: Errno(rawValue: errno))
            }
        } catch {
            try? FileTree.remove(partial)
            throw .system(error)
        }
        return modules
    }

    /// A module file of DKMS's tree (root's) as a plain ELF image: read bounded and without blocking, a regular file
    /// only, decompressed.
    private static func moduleImage(_ file: FilePath) throws(SystemError) -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try BoundedFileRead.read(file, limit: BuildResultStore.moduleSizeLimit)
        } catch {
            throw SystemError("read a module (\(error)) at", path: file, errno: .invalidArgument)
        }
        do {
            return try Codec.moduleImage(of: bytes).image
        } catch {
            throw SystemError("decompress (\(error))", path: file, errno: .invalidArgument)
        }
    }

    /// DKMS's `log/make.log`, kept as the build's log (best effort: a build without one is still a build).
    private func copyLog(build: String) {
        let log = dkms.directory.appending("log").appending("make.log")
        guard let bytes = try? BoundedFileRead.read(log, limit: 64 << 20) else { return }
        let target = tree.log(name, version, release: dkms.release, arch: dkms.arch, build: build)
        try? FileTree.makeDirectories(target.removingLastComponent())
        try? AtomicFile.write(bytes, to: target)
    }
}

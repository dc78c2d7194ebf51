import DKMSConf
import Kernels
import StateStore
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A finished build's modules, stored in the state tree as one result directory (`<build>/module/*.ko` and the
/// manifest), signed there for a kernel that checks signatures.
struct BuildResultStore {
    let package: PackageRecord
    let kernel: Kernel
    let context: LifecycleContext

    private var tree: StateTree { context.state.tree }
    private var name: String { package.name }
    private var version: String { package.version }

    /// Why the result was not stored: a built "module" that is no regular file of the build (a link to a
    /// root-only file, a FIFO, something of a module's impossible size), or a failure of kmodmgr's own.
    enum Failure: Error {
        case refused(String, BoundedFileRead.Failure)
        case lifecycle(LifecycleError)
    }

    /// The most a built module may be: far above any real one (unstripped, with debug info), far below what would
    /// fill the state tree.
    static let moduleSizeLimit = 1 << 30

    /// Copies the declared modules and the manifest into `<build>.partial`, then renames it to `<build>`: a crash
    /// leaves a partial directory no record names, which the next commit removes. The modules are what the build
    /// user left: they are read without following links and must be regular files (`ContainedFile`). For a kernel
    /// that checks signatures each is signed there, before the rename: a built module is a signed one. The key is
    /// looked for (and its absence said) only once the build's modules are all there.
    func store(manifest: PackageManifest, manifestJSON: [UInt8], scratch: FilePath, build: String)
        async throws(Failure) -> [BuiltModule]
    {
        let final = tree.result(name, version, release: kernel.release, arch: kernel.arch, build: build)
        let partial = TemporaryName.make(.partialResult, for: final)
        let targets = try copyBack(manifest.modules, from: scratch, into: partial)
        do {
            let signing = try await SigningPlan.forKernel(kernel.config, context: context)
            var modules = [BuiltModule]()
            for (module, target) in zip(manifest.modules, targets) {
                modules.append(BuiltModule(name: module.destName, digest: try storedDigest(of: target, signing: signing)))
            }
            try publish(partial, as: final, manifestJSON: manifestJSON)
            return modules
        } catch {
            try? FileTree.remove(partial)
            throw .lifecycle(error)
        }
    }

    /// The declared modules copied from the build directory into `partial/module/`, in declaration order.
    private func copyBack(_ modules: [ModuleDeclaration], from scratch: FilePath, into partial: FilePath) throws(Failure)
        -> [FilePath]
    {
        var targets = [FilePath]()
        var refusal: (String, BoundedFileRead.Failure)?
        do throws(SystemError) {
            try FileTree.remove(partial)
            try FileTree.makeDirectories(partial.appending("module"))
            for module in modules {
                let target = partial.appending("module").appending(module.destName + ".ko")
                let relative = module.builtLocation.isEmpty ? module.builtName + ".ko" : "\(module.builtLocation)/\(module.builtName).ko"
                do {
                    try ContainedFile.copy(relative, beneath: scratch, to: target, limit: Self.moduleSizeLimit)
                } catch {
                    if case .system(let failure) = error { throw failure }
                    refusal = (relative, error)
                    break
                }
                targets.append(target)
            }
        } catch {
            try? FileTree.remove(partial)
            throw .lifecycle(.system(error))
        }
        if let (relative, failure) = refusal {
            try? FileTree.remove(partial)
            throw .refused(relative, failure)
        }
        return targets
    }

    /// The digest of a stored module, signed first when `signing` says so.
    private func storedDigest(of target: FilePath, signing: SigningPlan?) throws(LifecycleError) -> String {
        let bytes: [UInt8]
        do throws(SystemError) {
            guard signing != nil else { return try ContentHash.of(file: target) }
            bytes = try FileBytes.read(target)
        } catch {
            throw .system(error)
        }
        guard let signing else { return ContentHash.of(bytes) }
        let signed = try signing.sign(bytes, file: target)
        do {
            try AtomicFile.write(signed, to: target)
        } catch {
            throw .system(error)
        }
        return ContentHash.of(signed)
    }

    /// The manifest beside the modules, then `partial` renamed to `final`.
    private func publish(_ partial: FilePath, as final: FilePath, manifestJSON: [UInt8]) throws(LifecycleError) {
        do throws(SystemError) {
            try AtomicFile.write(manifestJSON, to: partial.appending("manifest.json"))
            guard rename(partial.string, final.string) == 0 else {
                throw SystemError("rename into place", path: final, errno: Errno(rawValue: errno))
            }
        } catch {
            throw .system(error)
        }
    }
}

import Codecs
import Kernels
import StateStore
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A module prepared for installation, in the staging directory, with the digest of its final bytes.
struct StagedModule: Sendable {
    let planned: PlannedModule
    let staged: FilePath
    let digest: String
}

/// Prepares built modules the way the kernel's own `modules_install` would, in kmodmgr's staging directory and
/// before any file under `lib/modules` is touched: `strip --strip-debug` (per `STRIP[i]`, as the build user), then
/// signing in-process (`ModuleSigner`, with the kernel's `CONFIG_MODULE_SIG_HASH`; stripping after it would drop
/// the signature), then compression in-process with the settings the in-kernel decompressor accepts (`Codecs`: xz
/// with CRC32 and a 1 MiB dictionary, gzip without name or time, zstd) — the order of the kernel's own
/// `modules_install`.
enum ModuleStaging {
    /// `signing`: nil leaves the modules unsigned (the kernel does not check signatures, or there is no key).
    static func stage(_ plan: InstallPlan, signing: SigningPlan?, in directory: FilePath, context: LifecycleContext)
        async throws(LifecycleError) -> [StagedModule]
    {
        let scratch = directory.appending("strip")
        do throws(SystemError) {
            try FileTree.makeDirectories(directory)
            try FileTree.makeDirectories(scratch, mode: 0o700)
            if let owner = context.buildIdentity { chown(scratch.string, owner.userID, owner.groupID) }
        } catch {
            throw .system(error)
        }
        var staged = [StagedModule]()
        for (index, module) in plan.modules.enumerated() {
            let fileName = module.relativeDestination.split(separator: "/").last.map(String.init) ?? module.name
            let source = module.strip ? try await strip(module.built, into: scratch, context: context) : module.built
            var bytes: [UInt8]
            do throws(SystemError) {
                bytes = try FileBytes.read(source)
            } catch {
                throw .system(error)
            }
            if module.strip { context.step("\(module.name): stripped (strip --strip-debug)") }
            if let signing {
                bytes = try signing.sign(bytes, file: module.built)
                context.step("\(module.name): signed (\(signing.hash), key '\(signing.key.certificate.subjectCommonName)')")
            }
            if plan.compression != .none {
                context.step("\(module.name): compressed (\(plan.compression.rawValue))")
                do {
                    bytes = try Codec.compress(bytes, to: plan.compression)
                } catch {
                    throw .modulePreparation(path: module.built.string, reason: "cannot compress: \(error)")
                }
            }
            let target = directory.appending("\(index)-\(fileName)")
            do throws(SystemError) {
                try AtomicFile.write(bytes, to: target)
            } catch {
                throw .system(error)
            }
            staged.append(StagedModule(planned: module, staged: target, digest: ContentHash.of(bytes)))
        }
        try? FileTree.remove(scratch)
        return staged
    }

    /// Runs `strip --strip-debug` on a copy of `built`, as the build user, and returns the stripped file. A module
    /// for another architecture is stripped by that architecture's binutils (`aarch64-linux-gnu-strip`).
    private static func strip(_ built: FilePath, into scratch: FilePath, context: LifecycleContext) async throws(LifecycleError) -> FilePath
    {
        let output = scratch.appending(built.lastComponent?.string ?? "module.ko")
        let architecture = ELFMachine.ofExecutable(built).flatMap(Architecture.of(elfMachine:))
        let prefix = architecture?.crossPrefix(configured: architecture.flatMap { context.settings.crossCompile[$0.kbuild] })
        let program = FilePath("/usr/bin/\(prefix ?? "")strip")
        guard FileTree.exists(program) else {
            throw .modulePreparation(
                path: built.string, reason: "\(program) is missing: install binutils-\(architecture?.gnuTriplet ?? "for its architecture")")
        }
        let request = ProcessRequest(
            executable: program, arguments: ["--strip-debug", "-o", output.string, built.string],
            environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"], workingDirectory: scratch, identity: context.buildIdentity,
            timeLimit: .seconds(60))
        let result: CapturedProcess
        do {
            result = try await ProcessRunner.capture(request)
        } catch {
            throw .modulePreparation(path: built.string, reason: error.description)
        }
        guard result.termination.succeeded else {
            let message = String(decoding: result.standardError, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            throw .modulePreparation(path: built.string, reason: "strip --strip-debug failed (\(result.termination)): \(message)")
        }
        return output
    }
}

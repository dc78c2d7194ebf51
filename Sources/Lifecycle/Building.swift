import BuildRunner
import DKMSConf
import FoundationEssentials
import Kernels
import Preflight
import StateStore
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `kmodmgr build`: builds a registered package version for kernels, each in its own fresh directory.
public enum Building {
    /// What a build for one kernel came to.
    public enum Outcome: Sendable {
        case built(modules: [String], elapsed: Duration, log: String)
        /// Source, manifest and headers are what the last successful build used: nothing to do.
        case upToDate
        /// `BUILD_EXCLUSIVE_*` or `OBSOLETE_BY` rules this kernel out.
        case skipped(reason: String)
        case failed(BuildFailure)
    }

    public struct KernelResult: Sendable {
        public let release: String
        public let arch: String
        public let outcome: Outcome
    }

    /// Builds `name/version` for every kernel in `releases`, at most `width` kernels at a time. A kernel that cannot
    /// be built (no headers, a bad manifest) is a failed result for that kernel; it never stops the others.
    /// `arches`: the architecture asked for per release (`-a`, `-k KVER/ARCH`); a release not in it is built
    /// for the arch its headers are configured for.
    public static func build(
        _ reference: PackageReference, releases: [String], arches: [String: String] = [:], kernelSourceDirectory: FilePath?,
        force: Bool, context: LifecycleContext, width: Int = 1
    ) async throws(LifecycleError) -> [KernelResult] {
        guard !releases.isEmpty else { throw .noKernelsGiven }
        let lock = try context.exclusive()
        defer { withExtendedLifetime(lock) {} }
        let package = try registered(reference, context: context)
        return await buildHoldingLock(
            package, releases: releases, arches: arches, kernelSourceDirectory: kernelSourceDirectory, force: force, context: context,
            width: width)
    }

    /// `build` for a caller that holds the state lock (install, autoinstall). `preflights`: reports the caller
    /// already made for some releases (autoinstall checks a kernel once for all its packages).
    static func buildHoldingLock(
        _ package: PackageRecord, releases: [String], arches: [String: String] = [:], kernelSourceDirectory: FilePath?, force: Bool,
        context: LifecycleContext, width: Int, preflights: [String: PreflightReport] = [:]
    ) async -> [KernelResult] {
        let jobs = releases.map { release in
            { @Sendable () async -> KernelResult in
                await buildForKernel(
                    package, release: release, arch: arches[release], kernelSourceDirectory: kernelSourceDirectory, force: force,
                    context: context, preflight: preflights[release])
            }
        }
        return await BuildScheduler.run(jobs, width: width)
    }

    /// The registration record of `reference` (the newest version when none is given).
    static func registered(_ reference: PackageReference, context: LifecycleContext) throws(LifecycleError) -> PackageRecord {
        let version: String
        if let given = reference.version {
            version = given
        } else {
            guard let newest = context.state.packages().filter({ $0.name == reference.name }).last?.version else {
                throw .notAdded(name: reference.name, version: "*")
            }
            version = newest
        }
        let record: PackageRecord?
        do {
            record = try context.state.package(reference.name, version)
        } catch {
            throw .state(error)
        }
        guard let record else { throw .notAdded(name: reference.name, version: version) }
        return record
    }

    /// The preflight runs first: a fatal finding fails the build with kmodmgr's own diagnosis, before make;
    /// warnings are reported and the build goes on.
    private static func buildForKernel(
        _ package: PackageRecord, release: String, arch wanted: String?, kernelSourceDirectory: FilePath?, force: Bool,
        context: LifecycleContext, preflight known: PreflightReport?
    ) async -> KernelResult {
        var arch = ""
        do throws(LifecycleError) {
            let preflight: PreflightReport
            if let known {
                preflight = known
            } else {
                preflight = await Preflight.inspect(
                    Diagnosing.request(
                        release: release, arch: wanted, kernelSourceDirectory: kernelSourceDirectory, context: context, thorough: false))
            }
            arch = preflight.arch
            if let fatal = preflight.fatal {
                return KernelResult(release: release, arch: arch, outcome: .failed(BuildFailure(reason: fatal.line)))
            }
            for warning in preflight.findings {
                context.diagnostics.warning("\(package.name)/\(package.version), \(release): \(warning.line)")
            }
            let kernel: Kernel
            do {
                kernel = try KernelInventory.kernel(
                    release: release, root: context.root, buildDirectory: kernelSourceDirectory,
                    digestCache: context.state.tree.kernelDigests)
            } catch {
                throw .kernel(error)
            }
            arch = kernel.arch
            let outcome = try await KernelBuild(
                package: package, kernel: kernel, preflight: preflight, force: force, context: context
            ).run()
            return KernelResult(release: release, arch: arch, outcome: outcome)
        } catch {
            return KernelResult(release: release, arch: arch, outcome: .failed(BuildFailure(reason: error.description)))
        }
    }
}

/// One package version built for one kernel: evaluate, decide, copy, run, check, commit.
struct KernelBuild {
    let package: PackageRecord
    let kernel: Kernel
    /// What the preflight found (no fatal finding), and ARCH=/CROSS_COMPILE= for another architecture.
    let preflight: PreflightReport
    let force: Bool
    let context: LifecycleContext

    private var tree: StateTree { context.state.tree }
    private var name: String { package.name }
    private var version: String { package.version }

    func run() async throws(LifecycleError) -> Building.Outcome {
        let source = context.sourceDirectory(package)
        guard FileTree.isDirectory(source) else {
            throw .system(SystemError("find the source of \(name)/\(version) at", path: source, errno: .noSuchFileOrDirectory))
        }
        let dkmsTree = tree.scratchTree(release: kernel.release, arch: kernel.arch)
        let evaluated = try await context.manifest(
            source: source, release: kernel.release, arch: kernel.arch, kernelSourceDirectory: kernel.buildDirectory,
            dkmsTree: dkmsTree.string, package: (name, version))
        guard evaluated.name == name, evaluated.version == version else {
            throw .nameMismatch(
                file: source.appending("dkms.conf").string, declared: "\(evaluated.name)/\(evaluated.version)",
                expected: "\(name)/\(version)")
        }
        // A module whose own BUILD_EXCLUSIVE_CONFIG[i] this kernel does not meet is neither built nor installed
        // for it: the stored manifest is the kernel's.
        let kernelConfig = kernel.config?.values(of: evaluated.exclusiveConfigOptions)
        let (manifest, leftOut) = evaluated.keepingModules(for: kernelConfig)
        for module in leftOut {
            context.diagnostics.note("\(name)/\(version), \(kernel.release): \(module.name) left out (\(module.reason))")
        }
        let manifestJSON = try StoredManifest.encode(manifest, label: "\(name)/\(version)")
        var record = try BuildRecord.fingerprinted(
            state: .skipped, source: source, manifest: manifest, manifestJSON: manifestJSON, headersDigest: kernel.headersDigest,
            headersStamp: kernel.headersStamp)

        let everyModuleLeftOut =
            manifest.modules.isEmpty
            ? "every module is left out: " + leftOut.map { "\($0.name) (\($0.reason))" }.joined(separator: ", ") : nil
        if let reason = manifest.exclusionReason(kernelRelease: kernel.release, arch: kernel.arch, kernelConfig: kernelConfig)
            ?? everyModuleLeftOut
        {
            record.reason = reason
            record.time = Int(time(nil))
            try commit(record)
            return .skipped(reason: reason)
        }
        if !force, var previous = try upToDateBuild(record) {
            if previous.sourceStamp != record.sourceStamp || previous.headersStamp != record.headersStamp {
                // Touched, not changed: remember the new metadata so that `status` stops calling it stale.
                previous.sourceStamp = record.sourceStamp
                previous.headersStamp = record.headersStamp
                try commit(previous)
            }
            return .upToDate
        }
        return try await build(manifest: manifest, manifestJSON: manifestJSON, source: source, record: record)
    }

    /// The committed build, if it used the same source, manifest and headers and its modules are all intact.
    private func upToDateBuild(_ candidate: BuildRecord) throws(LifecycleError) -> BuildRecord? {
        let previous: BuildRecord?
        do {
            previous = try context.state.build(name, version, release: kernel.release, arch: kernel.arch)
        } catch {
            throw .state(error)
        }
        guard let previous, previous.state == .built, previous.sourceDigest == candidate.sourceDigest,
            previous.manifestDigest == candidate.manifestDigest, previous.headersDigest == candidate.headersDigest
        else { return nil }
        let intact = previous.modules.allSatisfy { module in
            let file = tree.builtModule(
                name, version, release: kernel.release, arch: kernel.arch, build: previous.build, module: module.name)
            return (try? ContentHash.of(file: file)) == module.digest
        }
        return intact ? previous : nil
    }

    private func build(manifest: PackageManifest, manifestJSON: [UInt8], source: FilePath, record: BuildRecord)
        async throws(LifecycleError) -> Building.Outcome
    {
        var record = record
        let scratch = tree.scratchBuild(name, version, release: kernel.release, arch: kernel.arch)
        let logFile = tree.log(name, version, release: kernel.release, arch: kernel.arch, build: record.build)
        do throws(SystemError) {
            try FileTree.remove(scratch.removingLastComponent())
            try FileTree.makeDirectories(scratch.removingLastComponent())
            try FileTree.copy(source, to: scratch, owner: context.buildIdentity)
            try FileTree.makeDirectories(logFile.removingLastComponent())
        } catch {
            throw .system(error)
        }
        defer { removeScratch(scratch) }

        let plan = BuildPlanning.plan(
            manifest: manifest, kernel: kernel, preflight: preflight, buildDirectory: scratch, jobs: context.parallelJobs,
            identity: context.buildIdentity, timeLimit: context.settings.buildTimeLimit)
        for step in plan.steps {
            context.step("\(name)/\(version), \(kernel.release): \(step.name): \(step.request.commandLine)")
        }
        let log: BuildLog
        let label = "\(name)/\(version)"
        context.progress?.buildStarted(package: label, release: kernel.release, log: logFile.string)
        defer { context.progress?.buildFinished(package: label, release: kernel.release) }
        do {
            log = try await BuildRunner.run(plan, logFile: logFile)
        } catch {
            throw .system(SystemError("run the build, logging to", path: logFile, errno: .ioError))
        }
        record.time = Int(time(nil))
        record.elapsedSeconds = Double(log.elapsed.components.seconds) + Double(log.elapsed.components.attoseconds) / 1e18
        if let failed = log.failedStep {
            return try fail(&record, reason: "\(failed.name) failed (\(failed.termination))", logFile: logFile)
        }
        for module in manifest.modules {
            let built = scratch.appending(module.builtLocation).appending(module.builtName + ".ko")
            if !FileTree.exists(built) {
                let relative = module.builtLocation.isEmpty ? module.builtName + ".ko" : "\(module.builtLocation)/\(module.builtName).ko"
                return try fail(&record, reason: "\(relative) was not built", logFile: logFile)
            }
        }
        do {
            record.modules = try await BuildResultStore(package: package, kernel: kernel, context: context).store(
                manifest: manifest, manifestJSON: manifestJSON, scratch: scratch, build: record.build)
        } catch {
            switch error {
            case .refused(let relative, let failure):
                return try fail(
                    &record, reason: "\(relative) is refused: \(failure) (a module must be a regular file of the build)", logFile: logFile)
            // Recorded, not thrown: a build whose result could not be stored failed, and status must say so.
            case .lifecycle(let error): return try fail(&record, reason: "its modules could not be stored: \(error)", logFile: logFile)
            }
        }
        record.state = .built
        try commit(record)
        return .built(modules: manifest.modules.map(\.destName), elapsed: log.elapsed, log: logFile.string)
    }

    /// Removes the scratch copy and the directories above it that only it needed, up to `.build`.
    private func removeScratch(_ scratch: FilePath) {
        let top = tree.directory.appending(".build")
        try? FileTree.remove(scratch.removingLastComponent())
        var directory = scratch.removingLastComponent().removingLastComponent()
        while directory.starts(with: top) && directory != top && rmdir(directory.string) == 0 {
            directory = directory.removingLastComponent()
        }
    }

    private func fail(_ record: inout BuildRecord, reason: String, logFile: FilePath) throws(LifecycleError) -> Building.Outcome {
        record.state = .failed
        record.reason = reason
        try commit(record)
        return .failed(
            BuildFailure(
                reason: reason, log: logFile.string, tail: BuildRunner.tail(of: logFile, lines: 15),
                diagnosis: FailureSignatures.diagnose(logAt: logFile)))
    }

    private func commit(_ record: BuildRecord) throws(LifecycleError) {
        do {
            try context.state.commit(record, name, version, release: kernel.release, arch: kernel.arch)
        } catch {
            throw .state(error)
        }
    }
}

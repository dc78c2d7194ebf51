import StateStore
import SystemPackage
import SystemSupport

/// What a command came to for one package version and one kernel.
public struct PackageKernelOutcome<Outcome: Sendable>: Sendable {
    /// `NAME/VERSION`.
    public let package: String
    public let release: String
    public let arch: String
    public let outcome: Outcome
}

/// `kmodmgr install`: builds what is not built yet, installs each kernel's build as one journaled transaction, and
/// re-indexes each kernel it touched once, at the end.
public enum Installing {
    /// What installing for one kernel came to.
    public enum Outcome: Sendable {
        /// The modules are in place (paths as the system sees them), with the modules moved aside and left overridden.
        case installed(modules: [String], displaced: [String], overridden: [String])
        case alreadyInstalled
        /// `BUILD_EXCLUSIVE_*` or `OBSOLETE_BY` rules this kernel out.
        case skipped(reason: String)
        /// The build failed; nothing was installed.
        case buildFailed(BuildFailure)
        /// The install was refused (a conflict, a newer module, a module the kernel will refuse) or failed and was
        /// undone; nothing was installed.
        case failed(reason: String)
    }

    public typealias KernelResult = PackageKernelOutcome<Outcome>

    public static func install(
        _ reference: PackageReference, releases: [String], arches: [String: String] = [:], force: Bool, context: LifecycleContext
    ) async throws(LifecycleError) -> [KernelResult] {
        guard !releases.isEmpty else { throw .noKernelsGiven }
        let lock = try context.exclusive()
        defer { withExtendedLifetime(lock) {} }
        let package = try Building.registered(reference, context: context)
        let builds = await Building.buildHoldingLock(
            package, releases: releases, arches: arches, kernelSourceDirectory: nil, force: false, context: context,
            width: releases.count > 1 ? 2 : 1)
        var results = [KernelResult]()
        for build in builds {
            let result = await installBuilt(package, build, force: force, context: context)
            context.progress?.resultReady(result)
            results.append(result)
        }
        try await Reindexing.finishCommand(context: context)
        return results
    }

    /// Installs the outcome of a build (lock held); a failure is a failed result, never an exception, so that one
    /// kernel or package never stops the others.
    static func installBuilt(_ package: PackageRecord, _ build: Building.KernelResult, force: Bool, context: LifecycleContext)
        async -> KernelResult
    {
        let label = "\(package.name)/\(package.version)"
        func result(_ outcome: Outcome) -> KernelResult {
            KernelResult(package: label, release: build.release, arch: build.arch, outcome: outcome)
        }
        switch build.outcome {
        case .skipped(let reason): return result(.skipped(reason: reason))
        case .failed(let failure): return result(.buildFailed(failure))
        case .built, .upToDate: break
        }
        do {
            let install = KernelInstall(package: package, release: build.release, arch: build.arch, force: force, context: context)
            switch try await install.run() {
            case .alreadyInstalled: return result(.alreadyInstalled)
            case .installed(let record):
                return result(
                    .installed(
                        modules: record.modules.map(\.path), displaced: record.displaced.map(\.original),
                        overridden: record.overridden.map(\.path)))
            }
        } catch {
            return result(.failed(reason: error.description))
        }
    }
}

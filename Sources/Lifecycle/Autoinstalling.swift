import BuildRunner
import DKMSConf
import Kernels
import Preflight
import StateStore
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `kmodmgr autoinstall -k KVER` (what the kernel hooks call): the newest version of every registered package whose
/// dkms.conf sets `AUTOINSTALL`, built and installed for the kernel. Packages are taken in `BUILD_DEPENDS` waves
/// (`BuildDependencies`: none is built before what it names is installed); within a wave, independent packages
/// build in parallel (as many as there are CPUs), each in its own directory.
/// Installs follow each wave, and the kernel is indexed once at the end. A failure never stops the others.
public enum Autoinstalling {
    public static func autoinstall(releases: [String], arches: [String: String] = [:], context: LifecycleContext)
        async throws(LifecycleError) -> [Installing.KernelResult]
    {
        guard !releases.isEmpty else { throw .noKernelsGiven }
        let lock = try context.exclusive()
        defer { withExtendedLifetime(lock) {} }
        var results = [Installing.KernelResult]()
        for release in releases {
            results += try await autoinstall(release: release, arch: arches[release], context: context)
        }
        try await Reindexing.finishCommand(context: context)
        return results
    }

    /// The preflight runs once for the kernel: a fatal finding fails every package meant for it with that
    /// diagnosis, before any make — except a kernel without headers, where nothing can be built and nothing failed
    /// (DKMS's autoinstall exits 0 there, and a kernel hook must not report an image installed before its
    /// headers as a failure): every package is skipped, with the reason.
    private static func autoinstall(release: String, arch: String?, context: LifecycleContext) async throws(LifecycleError)
        -> [Installing.KernelResult]
    {
        let preflight = await Preflight.inspect(
            Diagnosing.request(release: release, arch: arch, kernelSourceDirectory: nil, context: context, thorough: false))
        if let fatal = preflight.fatal {
            let failed = newestVersions(context: context).map { package in
                Installing.KernelResult(
                    package: "\(package.name)/\(package.version)", release: release, arch: preflight.arch,
                    outcome: fatal.code == .noHeaders ? .skipped(reason: fatal.line) : .buildFailed(BuildFailure(reason: fatal.line)))
            }
            for result in failed { context.progress?.resultReady(result) }
            return failed
        }
        let kernel: Kernel
        do {
            kernel = try KernelInventory.kernel(
                release: release, root: context.root, buildDirectory: nil, digestCache: context.state.tree.kernelDigests)
        } catch {
            throw .kernel(error)
        }
        var results = [Installing.KernelResult]()
        var candidates = [(package: PackageRecord, dependencies: [String])]()
        for package in newestVersions(context: context) {
            do throws(LifecycleError) {
                let manifest = try await context.manifest(
                    source: context.sourceDirectory(package), release: release, arch: kernel.arch,
                    kernelSourceDirectory: kernel.buildDirectory,
                    dkmsTree: context.state.tree.scratchTree(release: release, arch: kernel.arch).string,
                    package: (package.name, package.version))
                if manifest.autoinstall { candidates.append((package, manifest.buildDepends)) }
            } catch {
                let result = Installing.KernelResult(
                    package: "\(package.name)/\(package.version)", release: release, arch: kernel.arch,
                    outcome: .buildFailed(BuildFailure(reason: error.description)))
                context.progress?.resultReady(result)
                results.append(result)
            }
        }
        let dependencies = BuildDependencies(
            candidates, registered: Set(context.state.packages().map(\.name)),
            installed: { name in isInstalled(name, release: release, arch: kernel.arch, context: context) })
        for (package, reason) in dependencies.refused {
            results.append(refusedResult(package, release: release, arch: kernel.arch, reason: reason, context: context))
        }
        let dependsOn = Dictionary(uniqueKeysWithValues: candidates.map { ($0.package.name, $0.dependencies) })
        let width = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        for candidatesOfWave in dependencies.waves {
            // A dependency built in an earlier wave that did not end installed takes its dependents with it.
            var wave = [PackageRecord]()
            for package in candidatesOfWave {
                let missing = dependsOn[package.name, default: []].first { dependency in
                    results.contains { $0.package.hasPrefix(dependency + "/") && !$0.outcome.isInstalled }
                }
                if let missing {
                    results.append(
                        refusedResult(
                            package, release: release, arch: kernel.arch,
                            reason: "BUILD_DEPENDS \(missing) was not installed for this kernel (see its result)", context: context))
                } else {
                    wave.append(package)
                }
            }
            let jobs = wave.map { package in
                { @Sendable () async -> (PackageRecord, Building.KernelResult) in
                    let build = await Building.buildHoldingLock(
                        package, releases: [release], arches: arch.map { [release: $0] } ?? [:], kernelSourceDirectory: nil,
                        force: false, context: context, width: 1, preflights: [release: preflight])
                    return (package, build[0])
                }
            }
            for (package, build) in await BuildScheduler.run(jobs, width: width) {
                let result = await Installing.installBuilt(package, build, force: false, context: context)
                context.progress?.resultReady(result)
                results.append(result)
            }
        }
        return results
    }

    /// The newest registered version of each package name.
    private static func newestVersions(context: LifecycleContext) -> [PackageRecord] {
        var newest = [String: String]()
        for (name, version) in context.state.packages() { newest[name] = version }  // packages() is in version order
        return newest.keys.sorted().compactMap { name in
            (try? context.state.package(name, newest[name]!)) ?? nil
        }
    }

    /// Whether some version of package `name` is installed for the kernel.
    private static func isInstalled(_ name: String, release: String, arch: String, context: LifecycleContext) -> Bool {
        context.state.packages().contains { package in
            package.name == name && FileTree.exists(context.state.tree.installRecord(name, package.version, release: release, arch: arch))
        }
    }

    /// A package autoinstall does not build, for `reason` (its BUILD_DEPENDS): a failed install, reported.
    private static func refusedResult(
        _ package: PackageRecord, release: String, arch: String, reason: String, context: LifecycleContext
    ) -> Installing.KernelResult {
        let result = Installing.KernelResult(
            package: "\(package.name)/\(package.version)", release: release, arch: arch, outcome: .failed(reason: reason))
        context.progress?.resultReady(result)
        return result
    }
}

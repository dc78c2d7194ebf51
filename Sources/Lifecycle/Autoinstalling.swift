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
/// dkms.conf sets `AUTOINSTALL`, built and installed for the kernel. Packages are taken in `BUILD_DEPENDS` waves;
/// within a wave, independent packages build in parallel (as many as there are CPUs), each in its own directory.
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
        let width = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        for wave in waves(candidates) {
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

    /// Groups packages so that each comes after the packages it names in `BUILD_DEPENDS` (names that are not
    /// candidates are ignored, as DKMS ignores them). A dependency cycle puts its members in one last wave.
    static func waves(_ candidates: [(package: PackageRecord, dependencies: [String])]) -> [[PackageRecord]] {
        let names = Set(candidates.map(\.package.name))
        var pending = candidates.map { ($0.package, Set($0.dependencies).intersection(names).subtracting([$0.package.name])) }
        var done = Set<String>()
        var waves = [[PackageRecord]]()
        while !pending.isEmpty {
            let ready = pending.filter { $0.1.isSubset(of: done) }
            let wave = ready.isEmpty ? pending : ready
            waves.append(wave.map(\.0))
            done.formUnion(wave.map(\.0.name))
            pending.removeAll { done.contains($0.0.name) }
        }
        return waves
    }
}

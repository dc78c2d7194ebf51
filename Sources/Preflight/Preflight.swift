import Kernels
import LoadCheck
import SystemPackage
import SystemSupport

/// Walks a kernel's build pipeline stage by stage — headers, build tree, compiler, release, build user — and
/// reports every problem it finds, each with what it will cause and its fix. `kmodmgr doctor` prints the
/// report; every build runs it first and stops at a fatal finding, so that the user reads kmodmgr's diagnosis
/// instead of make's, ld's or sh's error, or worse, gets a module the kernel refuses.
public enum Preflight {
    public static func inspect(_ request: PreflightRequest) async -> PreflightReport {
        let clock = ContinuousClock()
        let start = clock.now
        var report = await inspectStages(request)
        report.elapsed = clock.now - start
        return report
    }

    private static func inspectStages(_ request: PreflightRequest) async -> PreflightReport {
        let asked = request.arch.map { ($0, Architecture.named($0)) }
        if let (name, architecture) = asked, architecture == nil {
            let finding = Finding(
                stage: .headers, severity: .fatal, code: .unknownArch, subject: name,
                problem: "'\(name)' is not an architecture kmodmgr knows",
                consequence: "nothing can be built for it",
                fix: "give it as uname -m, kbuild or Debian names it (aarch64, arm64; x86_64, amd64; armv7l, armhf; …)")
            return PreflightReport(release: request.release, arch: name, buildDirectory: nil, toolchain: nil, findings: [finding])
        }
        let tree: FilePath
        switch HeadersStage.locate(request) {
        case .failure(let finding):
            let reach = BuildUserStage.inspect(
                identity: request.buildIdentity, stateDirectory: request.stateDirectory, tree: nil, root: request.root)
            return PreflightReport(
                release: request.release, arch: asked?.1?.machine ?? Architecture.host.machine, buildDirectory: nil, toolchain: nil,
                findings: [finding] + reach)
        case .success(let found):
            tree = found
        }
        let config = KernelInventory.readConfig(tree)
        let headersArchitecture = Architecture.named(KernelInventory.arch(from: config)) ?? Architecture.host
        var findings = [Finding]()
        var target = headersArchitecture
        if let wanted = asked?.1, wanted.kbuild != headersArchitecture.kbuild {
            findings.append(
                Finding(
                    stage: .headers, severity: .fatal, code: .archMismatch, subject: request.root.systemPath(of: tree),
                    problem: "the headers of \(request.release) are configured for \(headersArchitecture.machine), not \(wanted.machine)",
                    consequence:
                        "modules built with them are for \(headersArchitecture.machine) and no \(wanted.machine) kernel loads them",
                    fix: "build against the \(wanted.machine) kernel's headers (its own lib/modules/KVER/build), or drop -a"))
        } else if let wanted = asked?.1 {
            target = wanted
        }
        let advice = FixAdvice(root: request.root, buildDirectory: tree)
        findings += BuildTreeStage.inspect(tree, config: config, srcarch: headersArchitecture.kbuild, advice: advice)
        let compiler = await CompilerStage.inspect(
            tree: tree, config: config, target: target, configuredCrossCompile: request.crossCompilePrefixes[target.kbuild],
            thorough: request.thorough)
        findings += compiler.findings
        let ownVermagic = request.buildDirectory == nil ? KernelFacts.ownVermagic(release: request.release, root: request.root) : nil
        findings += ReleaseStage.inspect(
            tree: tree, config: config, release: request.release, root: request.root, ownVermagic: ownVermagic)
        findings += BuildUserStage.inspect(
            identity: request.buildIdentity, stateDirectory: request.stateDirectory, tree: tree, root: request.root)
        return PreflightReport(
            release: request.release, arch: target.machine, buildDirectory: tree, toolchain: compiler.toolchain, findings: findings)
    }
}

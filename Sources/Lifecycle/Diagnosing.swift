import DKMSConf
import Kernels
import Preflight
import StateStore
import SystemPackage
import SystemSupport

/// `kmodmgr doctor`, and the preflight every build runs: the kernel's build pipeline (Preflight) and, for a named
/// package, what stands in its way for that kernel — its dkms.conf, its BUILD_EXCLUSIVE rules, its BUILD_DEPENDS.
public enum Diagnosing {
    public struct KernelDiagnosis: Sendable {
        public let report: PreflightReport
        /// The package's own findings for this kernel (stage `package`).
        public let packageFindings: [Finding]
        public var findings: [Finding] { report.findings + packageFindings }
    }

    /// Diagnoses each kernel of `releases` (and `reference`'s package for it, when given). Reads only: no lock.
    public static func diagnose(
        _ reference: PackageReference?, releases: [String], arches: [String: String] = [:], kernelSourceDirectory: FilePath?,
        context: LifecycleContext
    ) async throws(LifecycleError) -> [KernelDiagnosis] {
        let package = try reference.map { (reference) throws(LifecycleError) in try Building.registered(reference, context: context) }
        var diagnoses = [KernelDiagnosis]()
        for release in releases {
            let report = await Preflight.inspect(
                request(
                    release: release, arch: arches[release], kernelSourceDirectory: kernelSourceDirectory, context: context, thorough: true)
            )
            var packageFindings = [Finding]()
            if let package, let tree = report.buildDirectory {
                packageFindings = await packageFindingsFor(package, report: report, tree: tree, context: context)
            }
            diagnoses.append(KernelDiagnosis(report: report, packageFindings: packageFindings))
        }
        return diagnoses
    }

    /// The preflight's question for one kernel under the context's root and settings.
    static func request(
        release: String, arch: String?, kernelSourceDirectory: FilePath?, context: LifecycleContext, thorough: Bool
    ) -> PreflightRequest {
        PreflightRequest(
            release: release, root: context.root, buildDirectory: kernelSourceDirectory, arch: arch,
            crossCompilePrefixes: context.settings.crossCompile, buildIdentity: context.buildIdentity,
            stateDirectory: context.state.tree.directory, thorough: thorough)
    }

    private static func packageFindingsFor(
        _ package: PackageRecord, report: PreflightReport, tree: FilePath, context: LifecycleContext
    ) async -> [Finding] {
        let label = "\(package.name)/\(package.version)"
        let source = context.sourceDirectory(package)
        let manifest: PackageManifest
        do {
            manifest = try await context.manifest(
                source: source, release: report.release, arch: report.arch, kernelSourceDirectory: tree.string,
                dkmsTree: context.state.tree.scratchTree(release: report.release, arch: report.arch).string,
                package: (package.name, package.version))
        } catch {
            return [
                Finding(
                    stage: .package, severity: .fatal, code: .manifestInvalid, subject: source.appending("dkms.conf").string,
                    problem: error.description, consequence: "\(label) cannot be built for any kernel",
                    fix: "correct the dkms.conf (kmodmgr names the line), or ask the package's maintainer")
            ]
        }
        var findings = [Finding]()
        let config = KernelInventory.readConfig(tree)
        let options = manifest.buildExclusive.config.map { $0.hasPrefix("!") ? String($0.dropFirst()) : $0 }
        if let reason = manifest.exclusionReason(
            kernelRelease: report.release, arch: report.arch, kernelConfig: config?.values(of: options))
        {
            findings.append(
                Finding(
                    stage: .package, severity: .warning, code: .packageExcluded, subject: label,
                    problem: "\(label) is not meant for this kernel: \(reason)",
                    consequence: "build and install skip it for this kernel (with the skipped exit status when no kernel is left)",
                    fix: "nothing, if that is intended; otherwise a version of the package for this kernel"))
        }
        let registered = Set(context.state.packages().map(\.name))
        for dependency in manifest.buildDepends where !registered.contains(dependency) {
            findings.append(
                Finding(
                    stage: .package, severity: .fatal, code: .missingBuildDependency, subject: dependency,
                    problem: "\(label) needs \(dependency) built first (BUILD_DEPENDS), and \(dependency) is not added",
                    consequence: "its build fails on the symbols or headers \(dependency) provides",
                    fix: "`kmodmgr add` the \(dependency) package, then build \(label) again"))
        }
        return findings
    }
}

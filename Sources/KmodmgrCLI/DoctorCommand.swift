import ArgumentParser
import FoundationEssentials
import Lifecycle
import Preflight
import SystemPackage
import SystemSupport

/// `kmodmgr doctor`: what stands between a package and a module the kernel loads, found before make runs.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check each kernel's build pipeline (and a package's needs) and say what is wrong and how to fix it.",
        discussion: """
            Stages: headers (the build link, resolved inside --root), build-tree (what external modules need from a \
            prepared tree), compiler (the one the headers name; a cross compiler for another -a ARCH), release (what \
            the headers put into vermagic against the kernel's own release), build-user (whether the unprivileged \
            build user reaches the state tree and headers) and, for a named package, package (its dkms.conf, \
            BUILD_EXCLUSIVE, BUILD_DEPENDS). Each finding says what is wrong, what it will cause and the fix. Every \
            build runs the same checks first and stops at a fatal one. Exit status 0 when nothing is found, 1 when \
            anything is.
            """)

    @OptionGroup var options: LifecycleOptions
    @OptionGroup var selection: PackageSelection
    @OptionGroup var kernels: KernelSelection

    @Flag(name: .long, help: "Print the findings as JSON.")
    var json = false

    func run() async throws {
        let context = try options.context(diagnostics: StandardErrorDiagnostics())
        let releases = kernels.releases(root: context.root)
        let reference = try selection.reference()
        let diagnoses: [Diagnosing.KernelDiagnosis]
        do {
            diagnoses = try await Diagnosing.diagnose(
                reference, releases: releases, arches: kernels.arches(root: context.root), kernelSourceDirectory: nil, context: context)
        } catch {
            throw fail(error)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let kernels = diagnoses.map(DoctorJSON.init)
            Output.write(bytes: Array(try encoder.encode(kernels)) + [UInt8(ascii: "\n")])
        } else {
            for diagnosis in diagnoses { Output.write(DoctorText.render(diagnosis, root: context.root)) }
        }
        if diagnoses.contains(where: { !$0.findings.isEmpty }) { throw ExitStatus.failure.error }
    }
}

/// One kernel of `doctor --json`.
struct DoctorJSON: Encodable {
    let release: String
    let arch: String
    let headers: String?
    let compiler: String?
    let crossCompile: String?
    let findings: [Finding]

    init(_ diagnosis: Diagnosing.KernelDiagnosis) {
        release = diagnosis.report.release
        arch = diagnosis.report.arch
        headers = diagnosis.report.buildDirectory?.string
        compiler = diagnosis.report.toolchain?.compiler
        crossCompile = diagnosis.report.toolchain?.crossCompile
        findings = diagnosis.findings
    }

    enum CodingKeys: String, CodingKey {
        case release, arch, headers, compiler, findings
        case crossCompile = "cross_compile"
    }
}

/// `doctor`'s text: a line per kernel, and three lines per finding (what, cause, fix).
enum DoctorText {
    static func render(_ diagnosis: Diagnosing.KernelDiagnosis, root: Root) -> String {
        let report = diagnosis.report
        var text = "kernel \(report.release) (\(report.arch))"
        if let headers = report.buildDirectory { text += ", headers \(root.systemPath(of: headers))" }
        if let compiler = report.toolchain?.compiler { text += ", compiler \(compiler)" }
        let findings = diagnosis.findings
        guard !findings.isEmpty else { return text + ": ok\n" }
        let fatal = findings.filter(\.isFatal).count
        text += ": \(findings.count) problem\(findings.count == 1 ? "" : "s")" + (fatal > 0 ? " (\(fatal) fatal)" : "") + "\n"
        for finding in findings {
            text +=
                "  \(finding.severity == .fatal ? "FATAL" : "warning") [\(finding.stage.rawValue)/\(finding.code.rawValue)] \(finding.problem)\n"
            text += "    will cause: \(finding.consequence)\n"
            text += "    fix: \(finding.fix)\n"
        }
        return text
    }
}

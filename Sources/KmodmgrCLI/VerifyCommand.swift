import ArgumentParser
import Lifecycle
import LoadCheck
import SystemPackage

/// `kmodmgr verify`: is what is installed intact, indexed, and loadable — or will this one file load?
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check installed modules (or one module file) against their kernel before the kernel does.",
        discussion: """
            Installed packages: each module file must be the one kmodmgr installed (SHA-256), be listed in \
            modules.dep, and anything it moved aside must still be kept; then LoadCheck says whether the kernel \
            will load it. With --file, only LoadCheck, for one module file (plain or compressed) and the kernel \
            given with -k. Exit status 0 when everything will load, 1 otherwise.
            """)

    @OptionGroup var options: LifecycleOptions
    @OptionGroup var selection: PackageSelection

    @OptionGroup var kernels: KernelSelection

    @Option(name: .long, help: ArgumentHelp("Check this module file instead of installed packages.", valueName: "FILE"))
    var file: String?

    func validate() throws {
        if file != nil {
            try kernels.requireAtMostOne("--file")
            guard try selection.reference() == nil else { throw ValidationError("give a package or --file, not both") }
        }
    }

    func run() throws {
        if let file {
            let release = kernels.singleRelease
            let verdict = Verifying.verify(file: ProcessEnvironment.absolute(file), release: release, root: options.resolvedRoot)
            Output.write(VerdictRenderer.lines(subject: file, release: release, verdict: verdict))
            if !verdict.willLoad { throw ExitStatus.failure.error }
            return
        }
        let context = try options.context(diagnostics: StandardErrorDiagnostics())
        let reference = try selection.reference()
        let reports: [Verifying.InstallReport]
        do { reports = try Verifying.verifyInstalled(reference, releases: kernels.filter.map(\.release), context: context) } catch {
            throw fail(error)
        }
        if reports.isEmpty { Output.note("nothing installed to verify") }
        for report in reports {
            let label = "\(report.package)/\(report.version), \(report.release)"
            for lost in report.lostBackups { Output.write("\(label): \(lost)\n") }
            for module in report.modules {
                for problem in module.problems { Output.write("\(label): \(module.path): \(problem)\n") }
                Output.write(VerdictRenderer.lines(subject: "\(label): \(module.path)", release: report.release, verdict: module.verdict))
            }
        }
        if !reports.allSatisfy(\.isSound) { throw ExitStatus.failure.error }
    }
}

/// A LoadCheck verdict as lines an admin reads: the outcome, then each reason.
enum VerdictRenderer {
    static func lines(subject: String, release: String, verdict: LoadVerdict) -> String {
        var text = ""
        if verdict.willLoad {
            text += "\(subject): loads into \(release)" + (verdict.taints.isEmpty ? "" : " (tainting it)") + "\n"
        } else {
            text += "\(subject): \(release) will refuse it: \(verdict.refusals[0])\n"
            for refusal in verdict.refusals.dropFirst() { text += "\(subject): also: \(refusal)\n" }
        }
        for taint in verdict.taints { text += "\(subject): taint: \(taint)\n" }
        for unchecked in verdict.unchecked { text += "\(subject): not checked: \(unchecked)\n" }
        return text
    }
}

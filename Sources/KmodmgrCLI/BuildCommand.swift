import ArgumentParser
import Kernels
import Lifecycle
import SystemPackage

/// `kmodmgr build`: builds a registered package for kernels.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a registered package against kernel headers, in a fresh directory per kernel.",
        discussion: """
            Exit status: 0 when every kernel is built or already up to date, \(ExitStatus.skipped.rawValue) when every kernel was skipped \
            (BUILD_EXCLUSIVE_*, OBSOLETE_BY), \(ExitStatus.buildFailed.rawValue) when a build failed, 1 on other errors. A build is redone only \
            when the source, the evaluated dkms.conf or the kernel headers changed (by content), or with --force. \
            NAME/VERSION never added whose source is in /usr/src is added first, as DKMS does.
            """)

    @OptionGroup var options: LifecycleOptions
    @OptionGroup var selection: PackageSelection
    @OptionGroup var kernels: KernelSelection

    @Flag(name: .long, help: "Build again even if the last build is up to date.")
    var force = false

    @Option(
        name: .customLong("kernel-source-dir"), help: ArgumentHelp("Kernel headers to build against (one kernel only).", valueName: "DIR"))
    var kernelSourceDirectory: String?

    func validate() throws {
        _ = try selection.requiredReference()
        if kernelSourceDirectory != nil && kernels.kernels.count != 1 {
            throw ValidationError("--kernel-source-dir needs exactly one -k KVER")
        }
    }

    func run() async throws {
        let diagnostics = StandardErrorDiagnostics()
        var context = try options.context(diagnostics: diagnostics)
        let display = ProgressDisplay()
        context.progress = display
        let releases = kernels.releases(root: context.root)
        let reference = try selection.requiredReference()
        let results: [Building.KernelResult]
        do {
            if let added = try await Registration.addIfInSourceTree(reference, context: context) {
                Output.write("\(added.name)/\(added.version): added (source \(added.source))\n")
            }
            results = try await Building.build(
                reference, releases: releases, arches: kernels.arches(root: context.root),
                kernelSourceDirectory: kernelSourceDirectory.map { FilePath($0) }, force: force, context: context,
                width: releases.count > 1 ? 2 : 1)
        } catch {
            _ = display.stop()
            throw fail(error)
        }
        _ = display.stop()
        BuildReport.print(results, package: reference.description)
        try ExitStatus.of(builds: results).exit()
    }
}

/// The lines build prints (the drop-in `dkms build` too).
enum BuildReport {
    static func print(_ results: [Building.KernelResult], package label: String) {
        for result in results {
            let prefix = "\(label), \(result.release), \(result.arch.isEmpty ? "?" : result.arch)"
            switch result.outcome {
            case .built(let modules, let elapsed, _):
                Output.write("\(prefix): built (\(modules.joined(separator: ", "))) in \(elapsed.secondsText) s\n")
            case .upToDate:
                Output.write("\(prefix): built (up to date)\n")
            case .skipped(let reason):
                Output.write("\(prefix): skipped (\(reason))\n")
            case .failed(let failure):
                BuildFailureText.write(failure, prefix: prefix)
            }
        }
    }
}

import ArgumentParser
import Lifecycle

/// `kmodmgr autoinstall`: what the kernel hooks call when a kernel (or its headers) appears.
struct AutoinstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoinstall",
        abstract: "Build and install every package with AUTOINSTALL set (newest version) for kernels, in parallel.",
        discussion: """
            Packages are ordered by BUILD_DEPENDS; independent ones build at the same time (as many as there are \
            CPUs). Each kernel is indexed once at the end. A failing package never stops the others. Without -k, the \
            running kernel. Exit status: 0 when nothing failed, \(ExitStatus.autoinstallFailed.rawValue) when a package failed (each is reported with its log).
            """)

    @OptionGroup var options: LifecycleOptions
    @OptionGroup var initramfs: InitramfsOption
    @OptionGroup var kernels: KernelSelection

    func run() async throws {
        var context = try initramfs.context(options)
        let display = ProgressDisplay()
        context.progress = display
        let results: [Installing.KernelResult]
        do {
            defer { _ = display.stop() }
            results = try await Autoinstalling.autoinstall(
                releases: kernels.releases(root: context.root), arches: kernels.arches(root: context.root), context: context)
        } catch {
            throw fail(error)
        }
        if !results.isEmpty { Output.write(InstallReport.summary(results) + "\n") }
        try ExitStatus.of(autoinstalls: results).exit()
    }
}

import ArgumentParser
import Lifecycle

/// `kmodmgr uninstall`: take a package's modules out of kernels' trees; the build stays.
struct UninstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Remove a package's installed modules (restoring any module they moved aside) and re-index; keep the build.")

    @OptionGroup var options: LifecycleOptions
    @OptionGroup var initramfs: InitramfsOption
    @OptionGroup var selection: PackageSelection

    @OptionGroup var kernels: KernelSelection

    func validate() throws {
        _ = try selection.requiredReference()
        try kernels.requireKernelsOrAll()
    }

    func run() async throws {
        let context = try initramfs.context(options)
        let reference = try selection.requiredReference()
        do {
            let done = try await Uninstalling.uninstall(reference, kernels: kernels.filter, context: context)
            for entry in done { Output.write("\(reference), \(entry.release), \(entry.arch): uninstalled\n") }
            if done.isEmpty { Output.note("\(reference): not installed for the kernels given; nothing to do") }
        } catch {
            throw fail(error)
        }
    }
}

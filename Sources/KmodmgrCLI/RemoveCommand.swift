import ArgumentParser
import Lifecycle

/// `kmodmgr remove`: uninstall, unbuild, and forget the package once nothing is left.
struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Uninstall and unbuild a package for some kernels (-k) or all (--all); forget it once no kernel is left.",
        discussion: "The source under the source tree stays, as DKMS leaves it; `add` registers it again.")

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
            let removal = try await Unbuilding.remove(reference, kernels: kernels.filter, context: context)
            for entry in removal.kernels { Output.write("\(reference), \(entry.release), \(entry.arch): removed\n") }
            if removal.unregistered { Output.write("\(reference): removed\n") }
        } catch {
            throw fail(error)
        }
    }
}

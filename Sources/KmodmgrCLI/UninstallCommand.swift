import ArgumentParser
import Lifecycle

/// `kmodmgr uninstall`: take a package's modules out of kernels' trees; the build stays.
struct UninstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Remove a package's installed modules (restoring any module they moved aside) and re-index; keep the build.")

    @OptionGroup var options: LifecycleOptions
    @OptionGroup var selection: PackageSelection

    @Option(name: [.customShort("k"), .customLong("kernel")], help: ArgumentHelp("A kernel release (repeatable).", valueName: "KVER"))
    var kernels: [String] = []

    @Flag(name: .long, help: "Every kernel the package is installed for.")
    var all = false

    func validate() throws {
        _ = try selection.requiredReference()
        if kernels.isEmpty == !all { throw ValidationError("give -k KVER (repeatable) or --all") }
    }

    func run() async throws {
        let context = try options.context(diagnostics: StandardErrorDiagnostics())
        let reference = try selection.requiredReference()
        do {
            let done = try Uninstalling.uninstall(reference, kernels: kernels.map(KernelReference.init(parsing:)), context: context)
            for entry in done { Output.write("\(reference), \(entry.release), \(entry.arch): uninstalled\n") }
            if done.isEmpty { Output.note("\(reference): not installed for the kernels given; nothing to do") }
        } catch {
            throw fail(error)
        }
    }
}

/// `kmodmgr remove`: uninstall, unbuild, and forget the package once nothing is left.
struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Uninstall and unbuild a package for some kernels (-k) or all (--all); forget it once no kernel is left.",
        discussion: "The source under the source tree stays, as DKMS leaves it; `add` registers it again.")

    @OptionGroup var options: LifecycleOptions
    @OptionGroup var selection: PackageSelection

    @Option(name: [.customShort("k"), .customLong("kernel")], help: ArgumentHelp("A kernel release (repeatable).", valueName: "KVER"))
    var kernels: [String] = []

    @Flag(name: .long, help: "Every kernel, then the package itself.")
    var all = false

    func validate() throws {
        _ = try selection.requiredReference()
        if kernels.isEmpty == !all { throw ValidationError("give -k KVER (repeatable) or --all") }
    }

    func run() async throws {
        let context = try options.context(diagnostics: StandardErrorDiagnostics())
        let reference = try selection.requiredReference()
        do {
            let removal = try Unbuilding.remove(reference, kernels: kernels.map(KernelReference.init(parsing:)), context: context)
            for entry in removal.kernels { Output.write("\(reference), \(entry.release), \(entry.arch): removed\n") }
            if removal.unregistered { Output.write("\(reference): removed\n") }
        } catch {
            throw fail(error)
        }
    }
}

import ArgumentParser
import Lifecycle

/// `kmodmgr unbuild`: forgets builds, keeps the registration.
struct UnbuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unbuild", abstract: "Remove what was built for some kernels (-k) or all (--all); keep the package added.")

    @OptionGroup var options: LifecycleOptions
    @OptionGroup var selection: PackageSelection

    @Option(name: [.customShort("k"), .customLong("kernel")], help: ArgumentHelp("A kernel release (repeatable).", valueName: "KVER"))
    var kernels: [String] = []

    @Flag(name: .long, help: "Every kernel the package was built for.")
    var all = false

    func validate() throws {
        _ = try selection.requiredReference()
        if kernels.isEmpty == !all { throw ValidationError("give -k KVER (repeatable) or --all") }
    }

    func run() async throws {
        let context = try options.context(diagnostics: StandardErrorDiagnostics())
        let reference = try selection.requiredReference()
        do {
            let removed = try Unbuilding.unbuild(reference, kernels: kernels.map(KernelReference.init(parsing:)), context: context)
            for entry in removed { Output.write("\(reference), \(entry.release), \(entry.arch): unbuilt\n") }
            if removed.isEmpty { Output.note("\(reference): nothing built for the kernels given") }
        } catch {
            throw fail(error)
        }
    }
}

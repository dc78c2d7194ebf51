import ArgumentParser
import Lifecycle

/// The kernels `unbuild`, `uninstall` and `remove` act on: some (`-k`, repeatable) or every kernel the package has
/// (`--all`) — exactly one of the two, so that nothing is removed everywhere by a forgotten `-k`.
struct KernelsOrAll: ParsableArguments {
    @Option(name: [.customShort("k"), .customLong("kernel")], help: ArgumentHelp("A kernel release (repeatable).", valueName: "KVER"))
    var kernels: [String] = []

    @Flag(name: .long, help: "Every kernel the package has.")
    var all = false

    func validate() throws {
        if kernels.isEmpty == !all { throw ValidationError("give -k KVER (repeatable) or --all") }
    }

    /// The kernels given; empty means every kernel (`--all`).
    var references: [KernelReference] { kernels.map(KernelReference.init(parsing:)) }
}

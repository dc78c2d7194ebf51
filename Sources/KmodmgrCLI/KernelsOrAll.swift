import ArgumentParser
import Kernels
import Lifecycle

/// The kernels `unbuild`, `uninstall` and `remove` act on: some (`-k`, repeatable) or every kernel the package has
/// (`--all`) — exactly one of the two, so that nothing is removed everywhere by a forgotten `-k`.
struct KernelsOrAll: ParsableArguments {
    @Option(name: [.customShort("k"), .customLong("kernel")], help: ArgumentHelp("A kernel release (repeatable).", valueName: "KVER"))
    var kernels: [String] = []

    @Flag(name: .long, help: "Every kernel the package has.")
    var all = false

    @Option(name: [.customShort("a"), .customLong("arch")], help: ArgumentHelp("Only builds for this architecture.", valueName: "ARCH"))
    var arch: String?

    func validate() throws {
        if kernels.isEmpty == !all { throw ValidationError("give -k KVER (repeatable) or --all") }
    }

    /// The kernels given (with `-a`'s arch where `KVER/ARCH` names none); empty means every kernel (`--all`).
    var references: [KernelReference] {
        let machine = arch.map { Architecture.named($0)?.machine ?? $0 }
        return kernels.map { KernelReference(parsing: $0.contains("/") || machine == nil ? $0 : "\($0)/\(machine!)") }
    }
}

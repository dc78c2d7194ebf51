import ArgumentParser
import Kernels
import Lifecycle
import SystemSupport

/// The kernels a command is about: `-k KVER[/ARCH]` (repeatable), or every kernel with headers.
struct KernelSelection: ParsableArguments {
    @Option(
        name: [.customShort("k"), .customLong("kernel")],
        help: ArgumentHelp("A kernel release (repeatable); DKMS's KVER/ARCH accepted.", valueName: "KVER"))
    var kernels: [String] = []

    @Flag(name: .customLong("all-kernels"), help: "Every kernel under <root>/lib/modules that has headers.")
    var allKernels = false

    @Option(
        name: [.customShort("a"), .customLong("arch")],
        help: ArgumentHelp("The architecture to build for (default: the one each kernel's headers are configured for).", valueName: "ARCH"))
    var arch: String?

    var references: [KernelReference] { kernels.map(KernelReference.init(parsing:)) }

    /// The architecture asked for, per release, for those that have one.
    func arches(root: Root) -> [String: String] {
        var arches = [String: String]()
        for release in releases(root: root) { arches[release] = arch(for: release) }
        return arches
    }

    /// The architecture meant for `release`: DKMS's `-k KVER/ARCH`, else `-a`, else nil (the headers').
    func arch(for release: String) -> String? {
        references.first(where: { $0.release == release })?.arch ?? arch.map { Architecture.named($0)?.machine ?? $0 }
    }

    /// The releases meant: those given, every kernel with headers (`--all-kernels`), or the running kernel.
    func releases(root: Root) -> [String] {
        if allKernels { return KernelInventory.releasesWithHeaders(root: root) }
        return kernels.isEmpty ? [ProcessEnvironment.runningKernelRelease] : references.map(\.release)
    }
}

import ArgumentParser
import Kernels
import Lifecycle
import SystemSupport

/// The kernels a command is about, spelled the same by every command that takes kernels: `-k KVER[/ARCH]`
/// (repeatable; DKMS's KVER/ARCH accepted), `--all-kernels` (DKMS's `--all` too), `-a ARCH`. What "every kernel"
/// and "none given" mean is each command's: the kernels with headers, or that the package has; the running one.
struct KernelSelection: ParsableArguments {
    @Option(
        name: [.customShort("k"), .customLong("kernel")],
        help: ArgumentHelp("A kernel release (repeatable); DKMS's KVER/ARCH accepted.", valueName: "KVER"),
        completion: .custom(Completions.kernels))
    var kernels: [String] = []

    @Flag(
        name: [.customLong("all-kernels"), .customLong("all")],
        help: "Every kernel (build, install, doctor: those with headers; uninstall, unbuild, remove: those the package has).")
    var allKernels = false

    @Option(
        name: [.customShort("a"), .customLong("arch")],
        help: ArgumentHelp("The architecture (default: the one each kernel's headers are configured for).", valueName: "ARCH"),
        completion: .list(Completions.architectures))
    var arch: String?

    /// The kernels given, each with its architecture: `KVER/ARCH`'s, else `-a`'s (normalised to `uname -m`'s
    /// spelling), else none.
    var references: [KernelReference] {
        kernels.map { text in
            let reference = KernelReference(parsing: text)
            guard reference.arch == nil, let machine = normalizedArch else { return reference }
            return KernelReference(parsing: "\(reference.release)/\(machine)")
        }
    }

    /// `-a` in `uname -m`'s spelling (`arm64` → `aarch64`).
    var normalizedArch: String? { arch.map { Architecture.named($0)?.machine ?? $0 } }

    /// For commands that act on what a package has: `-k` (repeatable) or `--all-kernels`, exactly one, so that
    /// nothing is removed everywhere by a forgotten `-k`.
    func requireKernelsOrAll() throws {
        if kernels.isEmpty == !allKernels { throw ValidationError("give -k KVER (repeatable) or --all-kernels") }
    }

    /// For commands about one kernel (`--file`, load, modinfo): at most one `-k`, no `--all-kernels`.
    func requireAtMostOne(_ why: String) throws {
        if kernels.count > 1 || allKernels { throw ValidationError("\(why) takes one kernel (-k KVER)") }
    }

    /// The one kernel given, or the running one.
    var singleRelease: String { references.first?.release ?? ProcessEnvironment.runningKernelRelease }

    /// The architecture asked for, per release, for those that have one.
    func arches(root: Root) -> [String: String] {
        var arches = [String: String]()
        for release in releases(root: root) { arches[release] = arch(for: release) }
        return arches
    }

    /// The architecture meant for `release`: DKMS's `-k KVER/ARCH`, else `-a`, else nil (the headers').
    func arch(for release: String) -> String? {
        references.first(where: { $0.release == release })?.arch ?? normalizedArch
    }

    /// The releases meant: those given, every kernel with headers (`--all-kernels`), or the running kernel.
    func releases(root: Root) -> [String] {
        if allKernels { return KernelInventory.releasesWithHeaders(root: root) }
        return kernels.isEmpty ? [ProcessEnvironment.runningKernelRelease] : references.map(\.release)
    }

    /// The kernels a package's state is filtered by: none given (or `--all-kernels`) means every kernel; `-a`
    /// alone keeps that architecture's.
    var filter: [KernelReference] { allKernels ? [] : references }
}

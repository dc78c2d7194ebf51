/// The names one architecture goes by: `uname -m` (what DKMS and the state tree call it), kbuild's `ARCH=`
/// (which is also the `arch/` directory of the source, `SRCARCH`), and the GNU triplet Debian's cross toolchains
/// are prefixed with (`aarch64-linux-gnu-gcc-12`, package `gcc-12-aarch64-linux-gnu`).
public struct Architecture: Sendable, Hashable {
    public let machine: String
    public let kbuild: String
    public let gnuTriplet: String

    static let known: [Architecture] = [
        .init(machine: "x86_64", kbuild: "x86", gnuTriplet: "x86_64-linux-gnu"),
        .init(machine: "i686", kbuild: "x86", gnuTriplet: "i686-linux-gnu"),
        .init(machine: "aarch64", kbuild: "arm64", gnuTriplet: "aarch64-linux-gnu"),
        .init(machine: "armv7l", kbuild: "arm", gnuTriplet: "arm-linux-gnueabihf"),
        .init(machine: "ppc64le", kbuild: "powerpc", gnuTriplet: "powerpc64le-linux-gnu"),
        .init(machine: "ppc64", kbuild: "powerpc", gnuTriplet: "powerpc64-linux-gnu"),
        .init(machine: "s390x", kbuild: "s390", gnuTriplet: "s390x-linux-gnu"),
        .init(machine: "riscv64", kbuild: "riscv", gnuTriplet: "riscv64-linux-gnu"),
        .init(machine: "loongarch64", kbuild: "loongarch", gnuTriplet: "loongarch64-linux-gnu"),
    ]

    /// The architecture called `name` in any of the three spellings (`aarch64`, `arm64`, Debian's `amd64`…).
    public static func named(_ name: String) -> Architecture? {
        let debian = ["amd64": "x86_64", "i386": "i686", "armhf": "armv7l", "ppc64el": "ppc64le"]
        let name = debian[name] ?? name
        return known.first { $0.machine == name } ?? known.first { $0.kbuild == name }
    }

    /// This machine's.
    public static var host: Architecture {
        let machine = KernelInventory.arch(from: nil)
        return named(machine) ?? Architecture(machine: machine, kbuild: machine, gnuTriplet: "\(machine)-linux-gnu")
    }
}

/// The names one architecture goes by: `uname -m` (what DKMS and the state tree call it), kbuild's `ARCH=`
/// (which is also the `arch/` directory of the source, `SRCARCH`), and the GNU triplet Debian's cross toolchains
/// are prefixed with (`aarch64-linux-gnu-gcc-12`, package `gcc-12-aarch64-linux-gnu`).
public struct Architecture: Sendable, Hashable {
    public let machine: String
    public let kbuild: String
    public let gnuTriplet: String

    /// The ELF `e_machine` of its modules.
    public let elfMachine: UInt16

    static let known: [Architecture] = [
        .init(machine: "x86_64", kbuild: "x86", gnuTriplet: "x86_64-linux-gnu", elfMachine: 62),
        .init(machine: "i686", kbuild: "x86", gnuTriplet: "i686-linux-gnu", elfMachine: 3),
        .init(machine: "aarch64", kbuild: "arm64", gnuTriplet: "aarch64-linux-gnu", elfMachine: 183),
        .init(machine: "armv7l", kbuild: "arm", gnuTriplet: "arm-linux-gnueabihf", elfMachine: 40),
        .init(machine: "ppc64le", kbuild: "powerpc", gnuTriplet: "powerpc64le-linux-gnu", elfMachine: 21),
        .init(machine: "ppc64", kbuild: "powerpc", gnuTriplet: "powerpc64-linux-gnu", elfMachine: 21),
        .init(machine: "s390x", kbuild: "s390", gnuTriplet: "s390x-linux-gnu", elfMachine: 22),
        .init(machine: "riscv64", kbuild: "riscv", gnuTriplet: "riscv64-linux-gnu", elfMachine: 243),
        .init(machine: "riscv32", kbuild: "riscv", gnuTriplet: "riscv32-linux-gnu", elfMachine: 243),
        .init(machine: "loongarch64", kbuild: "loongarch", gnuTriplet: "loongarch64-linux-gnu", elfMachine: 258),
    ]

    /// The architecture a kernel's Kconfig is for, nil when none of the known ones.
    public static func configured(by config: KernelConfig) -> Architecture? {
        let machine: String? =
            if config.isEnabled("CONFIG_X86_64") { "x86_64" } else if config.isEnabled("CONFIG_X86_32") {
                "i686"
            } else if config.isEnabled("CONFIG_ARM64") { "aarch64" } else if config.isEnabled("CONFIG_ARM") {
                "armv7l"
            } else if config.isEnabled("CONFIG_PPC64") {
                config.isEnabled("CONFIG_CPU_LITTLE_ENDIAN") ? "ppc64le" : "ppc64"
            } else if config.isEnabled("CONFIG_S390") { "s390x" } else if config.isEnabled("CONFIG_RISCV") {
                config.isEnabled("CONFIG_64BIT") ? "riscv64" : "riscv32"
            } else if config.isEnabled("CONFIG_LOONGARCH") { "loongarch64" } else { nil }
        return machine.flatMap(named)
    }

    /// The architecture of ELF machine `number` (the first of two sharing it: ppc64le before ppc64).
    public static func of(elfMachine number: UInt16) -> Architecture? {
        known.first { $0.elfMachine == number }
    }

    /// The prefix of the binutils and compiler that make objects for this architecture on this machine: none
    /// for this machine's own, else `configured` (kmodmgr.conf's `cross_compile_<arch>`), else the GNU triplet's.
    public func crossPrefix(configured: String?) -> String? {
        guard kbuild != Architecture.host.kbuild || (machine != Architecture.host.machine && !machine.hasPrefix("i")) else {
            return nil
        }
        return configured ?? "\(gnuTriplet)-"
    }

    /// The architecture called `name` in any of the three spellings (`aarch64`, `arm64`, Debian's `amd64`…).
    public static func named(_ name: String) -> Architecture? {
        let debian = ["amd64": "x86_64", "i386": "i686", "armhf": "armv7l", "ppc64el": "ppc64le"]
        let name = debian[name] ?? name
        return known.first { $0.machine == name } ?? known.first { $0.kbuild == name }
    }

    /// This machine's.
    public static var host: Architecture {
        let machine = KernelInventory.arch(from: nil)
        return named(machine)
            ?? Architecture(machine: machine, kbuild: machine, gnuTriplet: "\(machine)-linux-gnu", elfMachine: ELFMachine.host)
    }
}

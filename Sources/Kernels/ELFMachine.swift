import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// ELF machine numbers of programs, for telling whether a build tree's host programs run here.
public enum ELFMachine {
    /// This machine's, from the running program's own ELF header.
    public static let host: UInt16 = ofExecutable("/proc/self/exe") ?? 62

    /// The `e_machine` of the ELF file at `path`; nil for a script or an unreadable file.
    public static func ofExecutable(_ path: FilePath) -> UInt16? {
        let descriptor = open(path.string, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var header = [UInt8](repeating: 0, count: 20)
        guard read(descriptor, &header, 20) == 20, header[0..<4] == [0x7F, 0x45, 0x4C, 0x46] else { return nil }
        // EI_DATA 2 = big-endian.
        return header[5] == 2 ? UInt16(header[18]) << 8 | UInt16(header[19]) : UInt16(header[19]) << 8 | UInt16(header[18])
    }

    public static func name(_ machine: UInt16) -> String {
        switch machine {
        case 3: "i386"
        case 40: "ARM"
        case 62: "x86-64"
        case 183: "AArch64"
        case 243: "RISC-V"
        case 21: "PowerPC64"
        case 22: "S/390"
        default: "ELF machine \(machine)"
        }
    }
}

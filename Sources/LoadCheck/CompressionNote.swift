import Codecs
import SystemPackage
import SystemSupport

/// What the in-kernel decompressor (`CONFIG_MODULE_DECOMPRESS`) would say about a compressed module file. The
/// kernel's xz decoder takes only CRC32 (or no) integrity checks and, as the kernel's own `modules_install` sets
/// it up, a dictionary of at most 1 MiB.
public struct CompressionNote: Sendable, Equatable {
    /// The xz stream's check type (1 = CRC32, 4 = CRC64, 10 = SHA-256), nil for other formats.
    public let xzCheck: UInt8?
    /// The LZMA2 dictionary size of the first block, when it could be read.
    public let xzDictionary: UInt64?

    /// Reads the xz stream and block headers of the file at `path` (nil unless it is xz).
    static func of(fileAt path: FilePath, format: CompressionFormat) -> CompressionNote? {
        // The headers are in the first few dozen bytes; the module itself was already decompressed once.
        guard format == .xz, let file = try? FileDescriptor.open(path, .readOnly) else { return nil }
        defer { try? file.close() }
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = (try? bytes.withUnsafeMutableBytes { try file.read(into: $0) }) ?? 0
        guard count > 24 else { return nil }
        bytes.removeSubrange(count...)
        // Stream header: 6-byte magic, 2 bytes of flags (check type in the second), CRC32; then the first block
        // header: size byte, flags, optional sizes, filter flags (ID 0x21 = LZMA2, properties size, dictionary byte).
        let check = bytes[7] & 0x0F
        var dictionary: UInt64?
        let blockFlags = bytes[13]
        var offset = 14
        for present in [blockFlags & 0x40 != 0, blockFlags & 0x80 != 0] where present {
            while offset < bytes.count && bytes[offset] & 0x80 != 0 { offset += 1 }
            offset += 1
        }
        if offset + 2 < bytes.count, bytes[offset] == 0x21, bytes[offset + 1] == 1 {
            let bits = UInt64(bytes[offset + 2])
            if bits <= 40 { dictionary = bits == 40 ? UInt64(UInt32.max) : (2 | (bits & 1)) << (bits / 2 + 11) }
        }
        return CompressionNote(xzCheck: check, xzDictionary: dictionary)
    }

    /// Why the in-kernel decompressor would refuse the stream, or nil.
    var inKernelProblem: String? {
        if let check = xzCheck, check != 0, check != 1 {
            return "xz with a \(check == 4 ? "CRC64" : "type \(check)") check, which the in-kernel decompressor cannot verify"
        }
        if let dictionary = xzDictionary, dictionary > 1 << 20 {
            return "xz with a \(dictionary >> 20) MiB dictionary, more than the in-kernel decompressor's 1 MiB"
        }
        return nil
    }
}

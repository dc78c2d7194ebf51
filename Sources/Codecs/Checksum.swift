import CLZMA
import CZlib

/// Integrity checks for kmodmgr's own files.
public enum Checksum {
    /// The CRC-32 (zlib's `crc32`, the same polynomial as gzip and xz) of `bytes`.
    public static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt = 0
        var offset = 0
        // zlib takes a 32-bit length; feed it in slices.
        while offset < bytes.count {
            let length = min(bytes.count - offset, 1 << 30)
            crc = CZlib.crc32(crc, (bytes.baseAddress! + offset).assumingMemoryBound(to: UInt8.self), UInt32(length))
            offset += length
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// The CRC-64 (ECMA-182, liblzma's `lzma_crc64`, as xz uses) of `bytes`: a cheap fingerprint of inputs to tell
    /// a changed one from an unchanged one (not a defence against anyone crafting a collision).
    public static func crc64(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { lzma_crc64($0.baseAddress, $0.count, 0) }
    }

    /// The CRC-32 of two byte strings back to back, from the CRC of each and the length of the second
    /// (zlib's `crc32_combine`).
    public static func combine(_ first: UInt32, _ second: UInt32, secondLength: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32_combine(UInt(first), UInt(second), Int(secondLength)))
    }
}

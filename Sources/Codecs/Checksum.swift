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

    /// The CRC-32 of two byte strings back to back, from the CRC of each and the length of the second
    /// (zlib's `crc32_combine`).
    public static func combine(_ first: UInt32, _ second: UInt32, secondLength: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32_combine(UInt(first), UInt(second), Int(secondLength)))
    }
}

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
}

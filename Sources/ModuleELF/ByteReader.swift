#if canImport(Glibc)
    import Glibc
#endif

/// Bounds-checked reads from an ELF image in its own byte order. Every offset comes from the file, so every
/// read checks `offset + width <= count` with overflow-safe arithmetic and returns nil instead of trapping.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let bigEndian: Bool

    /// Whether `[offset, offset+length)` lies inside the image.
    func contains(offset: UInt64, length: UInt64) -> Bool {
        let (end, overflow) = offset.addingReportingOverflow(length)
        return !overflow && end <= UInt64(bytes.count)
    }

    /// The bytes in `[offset, offset+length)`, or nil when out of range.
    func slice(offset: UInt64, length: UInt64) -> UnsafeRawBufferPointer? {
        guard contains(offset: offset, length: length) else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[Int(offset)..<Int(offset + length)])
    }

    /// An unsigned integer of `width` bytes (4 or 8) at `offset`, in the image's byte order.
    func unsigned(at offset: UInt64, width: Int) -> UInt64? {
        guard let raw = slice(offset: offset, length: UInt64(width)) else { return nil }
        var value: UInt64 = 0
        if bigEndian {
            for byte in raw { value = value << 8 | UInt64(byte) }
        } else {
            for byte in raw.reversed() { value = value << 8 | UInt64(byte) }
        }
        return value
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes up to the first NUL (or the end) as a string, decoded leniently like C code would print them.
    func cString(from start: Int = 0) -> String {
        guard start < count else { return "" }
        let length = memchr(baseAddress! + start, 0, count - start).map { UnsafeRawPointer($0) - (baseAddress! + start) } ?? count - start
        return String(decoding: UnsafeRawBufferPointer(start: baseAddress! + start, count: length), as: UTF8.self)
    }
}

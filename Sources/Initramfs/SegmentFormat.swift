import Codecs

/// What the data at the start of an image segment is compressed with, told by its magic as the kernel's
/// `decompress_method` tells it (`lib/decompress.c`). The set is closed: a new format is one row.
enum SegmentFormat: Equatable {
    /// A format the Codecs decoders read.
    case supported(CompressionFormat)
    /// A format the kernel may accept but kmodmgr does not decode, by its usual name.
    case unsupported(String)

    private struct Row {
        let magic: [UInt8]
        let format: SegmentFormat
    }

    /// One row per format, longest magic first where one could be a prefix of another (none is today).
    private static let rows: [Row] = [
        Row(magic: [0x1F, 0x8B], format: .supported(.gzip)),
        Row(magic: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], format: .supported(.xz)),
        Row(magic: [0x28, 0xB5, 0x2F, 0xFD], format: .supported(.zstd)),
        // The lz4 *legacy* frame (`lz4 -l`), the only lz4 framing the kernel unpacks.
        Row(magic: [0x02, 0x21, 0x4C, 0x18], format: .unsupported("lz4")),
        // An lzma-alone header: properties byte 0x5d (lc=3 lp=0 pb=2), then the dictionary size, little-endian.
        Row(magic: [0x5D, 0x00], format: .unsupported("lzma")),
        Row(magic: Array("BZh".utf8), format: .unsupported("bzip2")),
        Row(magic: [0x89, 0x4C, 0x5A, 0x4F], format: .unsupported("lzo")),
    ]

    /// The format whose magic `bytes` start with, or nil when none does.
    static func sniff(_ bytes: UnsafeRawBufferPointer) -> SegmentFormat? {
        rows.first { bytes.starts(with: $0.magic) }?.format
    }
}

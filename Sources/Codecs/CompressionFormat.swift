/// How a kernel module file is compressed. The set is closed: adding a codec means one row in `signatures`
/// and one encoder/decoder file.
public enum CompressionFormat: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case none
    case gzip
    case xz
    case zstd

    /// One row per compressed format: the bytes a stream starts with and the suffix a module file gets.
    struct Signature: Sendable {
        let format: CompressionFormat
        let magic: [UInt8]
        let fileExtension: String
    }

    /// The formats recognised by their leading bytes, as libkmod and depmod recognise them.
    static let signatures: [Signature] = [
        Signature(format: .zstd, magic: [0x28, 0xB5, 0x2F, 0xFD], fileExtension: ".zst"),
        Signature(format: .xz, magic: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], fileExtension: ".xz"),
        Signature(format: .gzip, magic: [0x1F, 0x8B], fileExtension: ".gz"),
    ]

    /// The format whose magic `prefix` starts with; `.none` when no compressed format matches.
    public static func sniff<Bytes: Collection<UInt8>>(_ prefix: Bytes) -> CompressionFormat {
        signatures.first { prefix.starts(with: $0.magic) }?.format ?? .none
    }

    /// The suffix appended to `.ko` for this format (`""`, `".gz"`, `".xz"`, `".zst"`).
    public var fileExtension: String {
        Self.signatures.first { $0.format == self }?.fileExtension ?? ""
    }

    /// The format named by a module file name's last suffix (`foo.ko.xz` → `.xz`), or nil for a name that is not
    /// a kernel module (`.ko` and its compressed forms).
    public static func ofModuleFileName(_ name: String) -> CompressionFormat? {
        if name.hasSuffix(".ko") { return CompressionFormat.none }
        return signatures.first { name.hasSuffix(".ko" + $0.fileExtension) }?.format
    }

    public var description: String { rawValue }
}

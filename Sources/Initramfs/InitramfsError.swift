import Codecs
import SystemPackage
import SystemSupport

/// Why the member list of an initramfs image could not be read; always names the image.
public struct InitramfsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the image.
    public enum Reason: Error, Sendable, Equatable {
        /// The file could not be opened, mapped or read (missing, unreadable, a directory).
        case unreadable(SystemError)
        /// The data ends inside an entry, or inside an archive before its `TRAILER!!!` entry.
        case truncated(at: InitramfsPosition, detail: String)
        /// Bytes that are not a cpio archive where one must be, or an invalid header.
        case malformed(at: InitramfsPosition, detail: String)
        /// Compressed data at byte `offset` in a format kmodmgr does not decode (`lz4`, `lzma`, `bzip2`, `lzo`).
        case unsupportedCompression(format: String, offset: Int)
        /// The compressed data starting at byte `offset` is corrupt or cut short.
        case undecodable(offset: Int, CodecError)
    }

    /// The image, as given.
    public let path: FilePath
    public let reason: Reason

    public init(path: FilePath, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// One line naming the image: `'/boot/initrd.img-6.1.0-9-amd64': truncated cpio archive at byte 1024 of the
    /// zstd data at byte 0: the data ends inside the data of the entry at byte 880`.
    public var description: String {
        switch reason {
        case .unreadable(let error): error.description
        case .truncated(let position, let detail): "'\(path)': truncated cpio archive at \(position): \(detail)"
        case .malformed(let position, let detail): "'\(path)': not a valid initramfs at \(position): \(detail)"
        case .unsupportedCompression(let format, let offset):
            "'\(path)': the data at byte \(offset) is \(format)-compressed, which kmodmgr does not decode (gzip, xz, zstd)"
        case .undecodable(let offset, let error): "'\(path)': the data at byte \(offset) cannot be decompressed: \(error)"
        }
    }
}

/// A place in an image: a byte of the file, or a byte of the data decompressed from a compressed run that begins
/// at a byte of the file (one stream, or several of one format back to back).
public struct InitramfsPosition: Sendable, Hashable, CustomStringConvertible {
    /// The byte of the file, or where the compressed run begins.
    public let fileOffset: Int
    /// The run's compression; `.none` for plain data.
    public let compression: CompressionFormat
    /// The byte of the decompressed data; nil for plain data.
    public let decompressedOffset: Int?

    /// A byte of the file itself.
    public static func file(_ offset: Int) -> InitramfsPosition {
        InitramfsPosition(fileOffset: offset, compression: .none, decompressedOffset: nil)
    }

    /// Byte `offset` of the data decompressed from the `compression` run at file offset `runOffset`.
    public static func decompressed(_ offset: Int, of compression: CompressionFormat, at runOffset: Int) -> InitramfsPosition {
        InitramfsPosition(fileOffset: runOffset, compression: compression, decompressedOffset: offset)
    }

    public var description: String {
        guard let decompressedOffset else { return "byte \(fileOffset)" }
        return "byte \(decompressedOffset) of the \(compression) data at byte \(fileOffset)"
    }
}

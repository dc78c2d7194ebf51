import SystemPackage
import SystemSupport

/// What went wrong inside a compressor or decompressor.
public enum CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stream is not valid data of `format` (bad magic, bad checksum, corrupt block).
    case corrupt(CompressionFormat, detail: String)
    /// The stream ended before its end marker.
    case truncated(CompressionFormat)
    /// The stream uses options this build cannot decode, or needs more memory than the limit allows.
    case unsupported(CompressionFormat, detail: String)
    /// Decompressed output would exceed the size limit kmodmgr sets for one module.
    case outputTooLarge(CompressionFormat, limit: Int)
    /// The library refused to start or failed in a way that is not about the data (out of memory, bad options).
    case library(CompressionFormat, detail: String)

    public var description: String {
        switch self {
        case .corrupt(let format, let detail): "corrupt \(format) data: \(detail)"
        case .truncated(let format): "truncated \(format) data: the stream ends before its end marker"
        case .unsupported(let format, let detail): "unsupported \(format) data: \(detail)"
        case .outputTooLarge(let format, let limit): "\(format) data expands past the \(limit >> 20) MiB limit"
        case .library(let format, let detail): "\(format) library error: \(detail)"
        }
    }
}

/// A codec or I/O failure on a named file.
public struct CodecFileError: Error, Sendable, CustomStringConvertible {
    /// What failed underneath.
    public enum Reason: Sendable, Equatable {
        case codec(CodecError)
        case system(SystemError)
    }

    public let path: FilePath
    public let reason: Reason

    public init(path: FilePath, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .codec(let error): "'\(path)': \(error)"
        case .system(let error): error.description
        }
    }
}

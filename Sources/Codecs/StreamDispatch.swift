import SystemPackage
import SystemSupport

/// Where a stream's input comes from.
enum ChunkSource {
    /// One buffer held in memory.
    case memory(UnsafeRawBufferPointer)
    /// An open file, read in chunks until its end; `path` names it in errors.
    case file(FileDescriptor, path: FilePath)

    /// Calls `consume` once per chunk, in order, flagging the last one. Chunks are cut to `Codec.inputChunkSize`
    /// so they fit the C libraries' 32-bit length fields.
    func forEachChunk(_ consume: (UnsafeRawBufferPointer, _ isLast: Bool) throws -> Void) throws {
        switch self {
        case .memory(let input):
            var offset = 0
            repeat {
                let end = min(input.count, offset + Codec.inputChunkSize)
                try consume(UnsafeRawBufferPointer(rebasing: input[offset..<end]), end == input.count)
                offset = end
            } while offset < input.count
        case .file(let descriptor, let path):
            var chunk = [UInt8](repeating: 0, count: Codec.inputChunkSize)
            while true {
                let count: Int
                do { count = try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0, retryOnInterrupt: true) } } catch {
                    throw SystemError("read", path: path, errno: error as? Errno ?? .ioError)
                }
                try chunk.withUnsafeBytes { try consume(UnsafeRawBufferPointer(rebasing: $0[0..<count]), count == 0) }
                if count == 0 { return }
            }
        }
    }
}

/// Which way a stream runs.
enum StreamDirection {
    case compress(contentSize: Int?)
    case decompress
}

/// Runs a fresh stream of `format` in `direction` over the chunks of `source`, handing output to `sink`.
///
/// The one place that maps a format to its concrete stream type; everything else is written once against it.
func runStream(
    _ format: CompressionFormat, _ direction: StreamDirection,
    source: ChunkSource, sink: (UnsafeRawBufferPointer) throws -> Void
) throws {
    switch (format, direction) {
    case (.none, _):
        try source.forEachChunk { chunk, _ in try sink(chunk) }
    case (.gzip, .compress):
        var stream = try GzipEncoder()
        try source.forEachChunk { try stream.process($0, finishing: $1, sink: sink) }
    case (.gzip, .decompress):
        var stream = try GzipDecoder()
        try source.forEachChunk { try stream.process($0, finishing: $1, sink: sink) }
    case (.xz, .compress):
        var stream = try XZStream.encoder()
        try source.forEachChunk { try stream.process($0, finishing: $1, sink: sink) }
    case (.xz, .decompress):
        var stream = try XZStream.decoder()
        try source.forEachChunk { try stream.process($0, finishing: $1, sink: sink) }
    case (.zstd, .compress(let contentSize)):
        var stream = try ZstdEncoder(contentSize: contentSize)
        try source.forEachChunk { try stream.process($0, finishing: $1, sink: sink) }
    case (.zstd, .decompress):
        var stream = try ZstdDecoder()
        try source.forEachChunk { try stream.process($0, finishing: $1, sink: sink) }
    }
}

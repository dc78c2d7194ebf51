import CZlib

// gzip through zlib. The encoder writes what `gzip -n` writes around its deflate data: no file name, a zero
// timestamp, OS "Unix" — the form the kernel's `modules_install` produces with `gzip -n -f`.

/// The zlib return code `rc` as a codec error.
private func zlibError(_ rc: Int32, _ stream: UnsafeMutablePointer<z_stream>) -> CodecError {
    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib code \(rc)"
    switch rc {
    case Z_DATA_ERROR: return .corrupt(.gzip, detail: message)
    case Z_MEM_ERROR: return .library(.gzip, detail: "out of memory")
    default: return .library(.gzip, detail: message)
    }
}

/// Allocates a `z_stream` and starts it with `start` (`deflateInit2_`/`inflateInit2_`); frees it if zlib refuses.
/// Called before `self` is initialized, so a refused stream never reaches a `deinit`.
private func startedStream(_ start: (UnsafeMutablePointer<z_stream>) -> Int32) throws(CodecError) -> UnsafeMutablePointer<z_stream> {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    let rc = start(stream)
    guard rc == Z_OK else {
        let error = zlibError(rc, stream)
        stream.deallocate()
        throw error
    }
    return stream
}

/// A gzip compressor: zlib `deflateInit2` with window bits 15+16 (gzip wrapper), level 6 as `gzip` uses.
struct GzipEncoder: ~Copyable, StreamTransform {
    private let stream: UnsafeMutablePointer<z_stream>
    private let output = OutputBuffer()

    /// Calls `deflateInit2_`.
    init(level: Int32 = 6) throws(CodecError) {
        stream = try startedStream {
            deflateInit2_($0, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        }
    }

    /// Calls `deflateEnd`.
    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    mutating func process(
        _ input: UnsafeRawBufferPointer, finishing: Bool, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = UInt32(input.count)
        while true {
            stream.pointee.next_out = output.bytes.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(output.count)
            let rc = deflate(stream, finishing ? Z_FINISH : Z_NO_FLUSH)
            guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else { throw zlibError(rc, stream) }
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { try sink(output.prefix(produced)) }
            if rc == Z_STREAM_END { return }
            if !finishing && stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return }
        }
    }
}

/// A gzip decompressor: zlib `inflateInit2` with window bits 15+16. Concatenated members are read in turn, as
/// `gzip -d` reads them.
struct GzipDecoder: ~Copyable, StreamTransform {
    private let stream: UnsafeMutablePointer<z_stream>
    private let output = OutputBuffer()
    /// Whether the last member seen has reached its end marker.
    private var atMemberEnd = false

    /// Calls `inflateInit2_`.
    init() throws(CodecError) {
        stream = try startedStream { inflateInit2_($0, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) }
    }

    /// Calls `inflateEnd`.
    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    mutating func process(
        _ input: UnsafeRawBufferPointer, finishing: Bool, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = UInt32(input.count)
        while stream.pointee.avail_in > 0 || (finishing && !atMemberEnd) {
            if atMemberEnd {
                // Another member follows the one that ended.
                guard inflateReset(stream) == Z_OK else { throw zlibError(Z_STREAM_ERROR, stream) }
                atMemberEnd = false
            }
            stream.pointee.next_out = output.bytes.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(output.count)
            let rc = inflate(stream, Z_NO_FLUSH)
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { try sink(output.prefix(produced)) }
            switch rc {
            case Z_STREAM_END: atMemberEnd = true
            case Z_OK: continue
            case Z_BUF_ERROR:
                // No progress possible: more input is needed.
                if finishing { throw CodecError.truncated(.gzip) }
                return
            case Z_NEED_DICT: throw CodecError.corrupt(.gzip, detail: "stream needs a preset dictionary")
            default: throw zlibError(rc, stream)
            }
        }
    }
}

extension GzipDecoder {
    /// Decodes the one gzip member at the start of `input` and returns how many bytes it occupies; what follows it
    /// (another member, padding, data of another format) is not read. `inflate` reports `Z_STREAM_END` at the
    /// member's trailer, and the input it left unread is where the member ends.
    mutating func decodeFirstMember(
        _ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        var offset = 0
        while offset < input.count {
            let length = min(input.count - offset, Codec.inputChunkSize)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: (input.baseAddress! + offset).assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = UInt32(length)
            feeding: while true {
                stream.pointee.next_out = output.bytes.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = UInt32(output.count)
                let rc = inflate(stream, Z_NO_FLUSH)
                let produced = output.count - Int(stream.pointee.avail_out)
                if produced > 0 { try sink(output.prefix(produced)) }
                switch rc {
                case Z_STREAM_END: return offset + length - Int(stream.pointee.avail_in)
                case Z_OK:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { break feeding }
                case Z_BUF_ERROR:
                    // No progress possible: this chunk is used up and nothing is left to flush.
                    guard stream.pointee.avail_in == 0 else { throw zlibError(rc, stream) }
                    break feeding
                case Z_NEED_DICT: throw CodecError.corrupt(.gzip, detail: "stream needs a preset dictionary")
                default: throw zlibError(rc, stream)
                }
            }
            offset += length
        }
        throw CodecError.truncated(.gzip)
    }
}

import CLZMA

// xz through liblzma. The encoder uses exactly the settings of the kernel's `modules_install`
// (`xz --check=crc32 --lzma2=dict=1MiB`): preset 6 with a 1 MiB dictionary, a CRC32 check, one stream.
// The in-kernel decompressor accepts no other check and no larger dictionary.

/// liblzma's filter id for LZMA2 (`LZMA_FILTER_LZMA2`, a macro Swift cannot import).
private let lzmaFilterLZMA2: lzma_vli = 0x21
/// The end of a filter chain (`LZMA_VLI_UNKNOWN`).
private let lzmaVLIUnknown: lzma_vli = .max
/// The most memory a decoder may use: enough for any dictionary `xz -9e` makes, far below a runaway.
/// Decoder flag: read concatenated streams (`LZMA_CONCATENATED`).
private let lzmaConcatenated: UInt32 = 0x08
/// The most memory a decoder may use: enough for any dictionary `xz -9e` makes, far below a runaway.
let xzDecoderMemoryLimit: UInt64 = 256 << 20

/// The liblzma return code `rc` as a codec error.
private func lzmaError(_ rc: lzma_ret) -> CodecError {
    switch rc {
    case LZMA_FORMAT_ERROR: .corrupt(.xz, detail: "not an xz stream")
    case LZMA_DATA_ERROR: .corrupt(.xz, detail: "compressed data is corrupt")
    case LZMA_BUF_ERROR: .truncated(.xz)
    case LZMA_OPTIONS_ERROR: .unsupported(.xz, detail: "unsupported stream options")
    case LZMA_UNSUPPORTED_CHECK: .unsupported(.xz, detail: "unsupported integrity check")
    case LZMA_MEMLIMIT_ERROR: .unsupported(.xz, detail: "needs more than \(xzDecoderMemoryLimit >> 20) MiB to decode")
    case LZMA_MEM_ERROR: .library(.xz, detail: "out of memory")
    default: .library(.xz, detail: "liblzma code \(rc.rawValue)")
    }
}

/// An xz stream (encoder or decoder) over one `lzma_stream`.
struct XZStream: ~Copyable, StreamTransform {
    private let stream = UnsafeMutablePointer<lzma_stream>.allocate(capacity: 1)
    private let output = OutputBuffer()

    /// An encoder: `lzma_lzma_preset(6)`, `dict_size = 1 MiB`, `lzma_stream_encoder(…, LZMA_CHECK_CRC32)`.
    static func encoder() throws(CodecError) -> XZStream {
        let xz = XZStream()
        var options = lzma_options_lzma()
        guard lzma_lzma_preset(&options, 6) == 0 else { throw CodecError.library(.xz, detail: "preset 6 unavailable") }
        options.dict_size = 1 << 20
        let rc = withUnsafeMutablePointer(to: &options) { optionsPointer in
            var filters = [
                lzma_filter(id: lzmaFilterLZMA2, options: UnsafeMutableRawPointer(optionsPointer)),
                lzma_filter(id: lzmaVLIUnknown, options: nil),
            ]
            return lzma_stream_encoder(xz.stream, &filters, LZMA_CHECK_CRC32)
        }
        guard rc == LZMA_OK else { throw lzmaError(rc) }
        return xz
    }

    /// A decoder: `lzma_stream_decoder` with a memory limit, reading concatenated streams as `xz -d` and libkmod do.
    static func decoder() throws(CodecError) -> XZStream {
        let xz = XZStream()
        let rc = lzma_stream_decoder(xz.stream, xzDecoderMemoryLimit, lzmaConcatenated)
        guard rc == LZMA_OK else { throw lzmaError(rc) }
        return xz
    }

    private init() {
        stream.initialize(to: lzma_stream())  // all zero: LZMA_STREAM_INIT
    }

    /// Makes a used decoder ready for the next stream. liblzma keeps the memory it allocated (the dictionary
    /// above all), so decoding thousands of modules does not allocate and fault in a megabyte for each.
    mutating func restartDecoder() throws(CodecError) {
        let rc = lzma_stream_decoder(stream, xzDecoderMemoryLimit, lzmaConcatenated)
        guard rc == LZMA_OK else { throw lzmaError(rc) }
    }

    /// Calls `lzma_end`.
    deinit {
        lzma_end(stream)
        stream.deallocate()
    }

    mutating func process(
        _ input: UnsafeRawBufferPointer, finishing: Bool, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_in = input.count
        while true {
            stream.pointee.next_out = output.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = output.count
            let rc = lzma_code(stream, finishing ? LZMA_FINISH : LZMA_RUN)
            let produced = output.count - stream.pointee.avail_out
            if produced > 0 { try sink(output.prefix(produced)) }
            switch rc {
            case LZMA_STREAM_END: return
            case LZMA_OK:
                if !finishing && stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return }
            default: throw lzmaError(rc)
            }
        }
    }

    /// Decodes all of `input` straight into caller-owned memory, without an intermediate chunk copy:
    /// `grow(capacity, keeping)` must return the caller's buffer with room for at least `capacity` bytes whose
    /// first `keeping` bytes are what was written so far. Returns the decoded length.
    mutating func decodeWhole(
        _ input: UnsafeRawBufferPointer, limit: Int, grow: (_ capacity: Int, _ keeping: Int) -> UnsafeMutableRawBufferPointer
    ) throws(CodecError) -> Int {
        stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_in = input.count
        var buffer = grow(min(Self.decodedSize(of: input).map { $0 + 1 } ?? max(input.count * 4, 1 << 16), limit), 0)
        var length = 0
        while true {
            if length == buffer.count {
                guard length < limit else { throw .outputTooLarge(.xz, limit: limit) }
                buffer = grow(min(buffer.count * 2, limit), length)
            }
            stream.pointee.next_out = (buffer.baseAddress! + length).assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = buffer.count - length
            let rc = lzma_code(stream, LZMA_FINISH)
            length = buffer.count - stream.pointee.avail_out
            guard length <= limit else { throw .outputTooLarge(.xz, limit: limit) }
            switch rc {
            case LZMA_STREAM_END: return length
            case LZMA_OK: continue
            default: throw lzmaError(rc)
            }
        }
    }

    /// The decoded size of the last (for a module file: the only) xz stream, read from its index at the end
    /// (`lzma_stream_footer_decode`, `lzma_index_buffer_decode`), so the output can be allocated once at its
    /// exact size; nil if no index can be read. Only a first allocation depends on it: decoding grows the buffer
    /// if concatenated streams need more.
    static func decodedSize(of input: UnsafeRawBufferPointer) -> Int? {
        let footerSize = 12  // LZMA_STREAM_HEADER_SIZE
        guard input.count >= 2 * footerSize, let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var footer = lzma_stream_flags()
        guard lzma_stream_footer_decode(&footer, base + input.count - footerSize) == LZMA_OK,
            footer.backward_size <= UInt64(input.count - 2 * footerSize)
        else { return nil }
        let indexStart = input.count - footerSize - Int(footer.backward_size)
        var index: OpaquePointer?
        var memoryLimit: UInt64 = 1 << 20
        var position = 0
        guard lzma_index_buffer_decode(&index, &memoryLimit, nil, base + indexStart, &position, Int(footer.backward_size)) == LZMA_OK,
            let index
        else { return nil }
        defer { lzma_index_end(index, nil) }
        let size = lzma_index_uncompressed_size(index)
        return size <= UInt64(Codec.decompressedSizeLimit) ? Int(size) : nil
    }
}

extension XZStream {
    /// A decoder of exactly one xz stream: `lzma_stream_decoder` without `LZMA_CONCATENATED`, so that it returns
    /// `LZMA_STREAM_END` at the stream's footer and leaves what follows unread.
    static func singleStreamDecoder() throws(CodecError) -> XZStream {
        let xz = XZStream()
        let rc = lzma_stream_decoder(xz.stream, xzDecoderMemoryLimit, 0)
        guard rc == LZMA_OK else { throw lzmaError(rc) }
        return xz
    }

    /// Decodes the one xz stream at the start of `input` (with a `singleStreamDecoder`) and returns how many bytes
    /// it occupies. Stream padding after it is left to the caller.
    mutating func decodeFirstStream(
        _ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        var offset = 0
        while offset < input.count {
            let length = min(input.count - offset, Codec.inputChunkSize)
            let isLast = offset + length == input.count
            stream.pointee.next_in = (input.baseAddress! + offset).assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_in = length
            feeding: while true {
                stream.pointee.next_out = output.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_out = output.count
                // LZMA_FINISH on the last chunk turns a stream cut short into LZMA_BUF_ERROR (truncated).
                let rc = lzma_code(stream, isLast ? LZMA_FINISH : LZMA_RUN)
                let produced = output.count - stream.pointee.avail_out
                if produced > 0 { try sink(output.prefix(produced)) }
                switch rc {
                case LZMA_STREAM_END: return offset + length - stream.pointee.avail_in
                case LZMA_OK:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { break feeding }
                default: throw lzmaError(rc)
                }
            }
            offset += length
        }
        throw CodecError.truncated(.xz)
    }
}

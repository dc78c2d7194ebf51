import CZstd

// zstd through libzstd. The encoder writes one frame at the default level (3) with the content size and a
// content checksum, as the `zstd` command does for a file the kernel's `modules_install` compresses.

/// The libzstd result `rc` checked for an error.
@discardableResult
private func zstdCheck(_ rc: Int, truncatedOnSrcSizeError: Bool = false) throws(CodecError) -> Int {
    guard ZSTD_isError(rc) != 0 else { return rc }
    let name = String(cString: ZSTD_getErrorName(rc))
    switch ZSTD_getErrorCode(rc) {
    case ZSTD_error_memory_allocation: throw CodecError.library(.zstd, detail: name)
    case ZSTD_error_frameParameter_windowTooLarge, ZSTD_error_frameParameter_unsupported,
        ZSTD_error_parameter_unsupported, ZSTD_error_parameter_outOfBound:
        throw CodecError.unsupported(.zstd, detail: name)
    default: throw CodecError.corrupt(.zstd, detail: name)
    }
}

/// A zstd compressor over one `ZSTD_CCtx`.
struct ZstdEncoder: ~Copyable, StreamTransform {
    private let context: OpaquePointer
    private let output = OutputBuffer()

    /// Calls `ZSTD_createCCtx` and sets level 3, a checksum and, when known, the content size.
    init(contentSize: Int?) throws(CodecError) {
        guard let context = ZSTD_createCCtx() else { throw CodecError.library(.zstd, detail: "out of memory") }
        do {
            try zstdCheck(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, ZSTD_CLEVEL_DEFAULT))
            try zstdCheck(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))
            if let contentSize { try zstdCheck(ZSTD_CCtx_setPledgedSrcSize(context, UInt64(contentSize))) }
        } catch {
            ZSTD_freeCCtx(context)
            throw error
        }
        self.context = context
    }

    /// Calls `ZSTD_freeCCtx`.
    deinit {
        ZSTD_freeCCtx(context)
    }

    mutating func process(
        _ input: UnsafeRawBufferPointer, finishing: Bool, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            var target = ZSTD_outBuffer(dst: output.bytes.baseAddress, size: output.count, pos: 0)
            let remaining = try zstdCheck(
                ZSTD_compressStream2(context, &target, &source, finishing ? ZSTD_e_end : ZSTD_e_continue))
            if target.pos > 0 { try sink(output.prefix(target.pos)) }
            if finishing ? remaining == 0 : source.pos == source.size { return }
        }
    }
}

/// A zstd decompressor over one `ZSTD_DCtx`; concatenated frames are read in turn.
struct ZstdDecoder: ~Copyable, StreamTransform {
    fileprivate let context: OpaquePointer
    private let output = OutputBuffer()
    /// The last `ZSTD_decompressStream` hint: 0 exactly when a frame has just been completed.
    private var hint = 1

    /// Calls `ZSTD_createDCtx`.
    init() throws(CodecError) {
        guard let context = ZSTD_createDCtx() else { throw CodecError.library(.zstd, detail: "out of memory") }
        self.context = context
    }

    /// Calls `ZSTD_freeDCtx`.
    deinit {
        ZSTD_freeDCtx(context)
    }

    mutating func process(
        _ input: UnsafeRawBufferPointer, finishing: Bool, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        // Every call drains the library's output, so empty input has nothing to flush; calling anyway would make
        // a completed frame look like the start of the next one.
        while source.size > 0 {
            var target = ZSTD_outBuffer(dst: output.bytes.baseAddress, size: output.count, pos: 0)
            hint = try zstdCheck(ZSTD_decompressStream(context, &target, &source))
            if target.pos > 0 { try sink(output.prefix(target.pos)) }
            // Stop when all input is used and the output buffer was not filled (nothing left to flush).
            if source.pos == source.size && target.pos < target.size { break }
        }
        if finishing && hint != 0 { throw CodecError.truncated(.zstd) }
    }
}

extension ZstdDecoder {
    /// Decodes a single-frame `input` with `ZSTD_decompressDCtx` (reusing this decoder's context) into
    /// caller-owned memory sized exactly from the frame header (`ZSTD_getFrameContentSize`); `grow(capacity)`
    /// returns that memory. Returns nil, having done nothing, when the input is several frames or its frame does
    /// not declare its size — the caller then streams.
    func decodeWhole(
        _ input: UnsafeRawBufferPointer, limit: Int, grow: (_ capacity: Int) -> UnsafeMutableRawBufferPointer
    ) throws(CodecError) -> Int? {
        guard let base = input.baseAddress else { return nil }
        guard ZSTD_findFrameCompressedSize(base, input.count) == input.count else { return nil }
        let declared = ZSTD_getFrameContentSize(base, input.count)
        // ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR are the two largest values.
        guard declared < UInt64.max - 1 else { return nil }
        guard declared <= UInt64(limit) else { throw .outputTooLarge(.zstd, limit: limit) }
        let buffer = grow(Int(declared) + 1)
        return try zstdCheck(
            ZSTD_decompressDCtx(context, buffer.baseAddress, Int(declared), base, input.count),
            truncatedOnSrcSizeError: true)
    }
}

extension ZstdDecoder {
    /// Decodes the one zstd frame at the start of `input` and returns how many bytes it occupies; a following
    /// frame is not started. `ZSTD_decompressStream` returns 0 exactly when a frame is decoded and flushed, with the
    /// input position just past it.
    mutating func decodeFirstFrame(
        _ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        var offset = 0
        while offset < input.count {
            let length = min(input.count - offset, Codec.inputChunkSize)
            var source = ZSTD_inBuffer(src: input.baseAddress! + offset, size: length, pos: 0)
            while true {
                var target = ZSTD_outBuffer(dst: output.bytes.baseAddress, size: output.count, pos: 0)
                let remaining = try zstdCheck(ZSTD_decompressStream(context, &target, &source))
                if target.pos > 0 { try sink(output.prefix(target.pos)) }
                if remaining == 0 { return offset + source.pos }
                if source.pos == source.size && target.pos < target.size { break }
            }
            offset += length
        }
        throw CodecError.truncated(.zstd)
    }
}

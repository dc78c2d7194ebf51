/// One compression or decompression stream over a C library's state, fed in chunks.
///
/// Conformers own a C stream handle (`z_stream`, `lzma_stream`, `ZSTD_CCtx`/`ZSTD_DCtx`) and release it in
/// `deinit`, so each is freed exactly once; they are `~Copyable` so that a copy can never share one.
protocol StreamTransform: ~Copyable {
    /// Consumes all of `input`, handing every produced chunk to `sink`. With `finishing`, `input` is the last
    /// chunk: the stream is flushed (encoders) or checked to have reached its end marker (decoders).
    mutating func process(
        _ input: UnsafeRawBufferPointer, finishing: Bool, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws
}

/// Output buffer size each stream hands to its library.
let streamChunkSize = 256 * 1024

/// The output buffer a stream hands to its C library; owned, so it is freed exactly once on every path.
struct OutputBuffer: ~Copyable {
    let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunkSize, alignment: 16)

    var count: Int { bytes.count }

    /// The first `count` bytes, as written by the library.
    func prefix(_ count: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[0..<count]) }

    deinit { bytes.deallocate() }
}

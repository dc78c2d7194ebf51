extension Codec {
    /// Decodes the one compressed stream at the start of `input` — a gzip member, an xz stream or a zstd frame —
    /// handing its output to `sink` chunk by chunk, and returns how many bytes of `input` that stream occupies.
    ///
    /// What follows the stream is not read. That is what a reader of concatenated data of mixed kinds needs, such as
    /// an initramfs image (plain cpio, then zstd, then perhaps gzip), which the kernel unpacks by letting each
    /// decompressor say where it stopped; `decompress` reads all of its input as one format and fails on anything
    /// else. Nothing is kept, so no size limit applies. `sink` returns false to stop early; the result is then nil.
    /// With `.none` the whole of `input` is the stream.
    public static func decompressLeadingStream(
        _ input: UnsafeRawBufferPointer, from format: CompressionFormat, sink: (UnsafeRawBufferPointer) -> Bool
    ) throws(CodecError) -> Int? {
        do {
            switch format {
            case .none:
                return sink(input) ? input.count : nil
            case .gzip:
                var decoder = try GzipDecoder()
                return try decoder.decodeFirstMember(input) { if !sink($0) { throw SinkStopped() } }
            case .xz:
                var decoder = try XZStream.singleStreamDecoder()
                return try decoder.decodeFirstStream(input) { if !sink($0) { throw SinkStopped() } }
            case .zstd:
                var decoder = try ZstdDecoder()
                return try decoder.decodeFirstFrame(input) { if !sink($0) { throw SinkStopped() } }
            }
        } catch is SinkStopped {
            return nil
        } catch let error as CodecError {
            throw error
        } catch {
            fatalError("a leading stream throws only codec errors: \(error)")
        }
    }
}

/// Thrown through a decoder's sink when the caller's sink asks to stop.
private struct SinkStopped: Error {}

import SystemPackage
import SystemSupport

/// Compression and decompression of whole buffers and files, in-process, with the settings the kernel's own
/// `modules_install` uses (so the in-kernel decompressor and libkmod accept the result).
public enum Codec {
    /// The largest module kmodmgr decompresses into memory: what a module can be. Debian's largest (amdgpu) is
    /// 20 MiB, unstripped builds with debug information stay well under 256 MiB; a decompression bomb is refused
    /// at this size, after at most about one and a half times it in memory (the buffer doubles as it grows).
    public static let decompressedSizeLimit = 256 << 20

    /// Input slice fed to a stream per call; keeps each C call within its 32-bit length fields.
    static let inputChunkSize = 1 << 20

    /// Decompresses all of `bytes`, which are in `format` (`.none` returns them unchanged).
    public static func decompress(_ bytes: [UInt8], from format: CompressionFormat) throws(CodecError) -> [UInt8] {
        if format == .none { return bytes }
        let result = bytes.withUnsafeBytes { input in Result { () throws(CodecError) in try decompress(input, from: format) } }
        return try result.get()
    }

    /// The plain image of a module file's bytes, with the format they were stored in (sniffed from the content, as
    /// libkmod does): the bytes themselves when they are not compressed.
    public static func moduleImage(of bytes: [UInt8]) throws(CodecError) -> (image: [UInt8], format: CompressionFormat) {
        let format = CompressionFormat.sniff(bytes.prefix(8))
        return (try decompress(bytes, from: format), format)
    }

    /// Decompresses all of `input`, which is compressed in `format`, into a new buffer.
    static func decompress(_ input: UnsafeRawBufferPointer, from format: CompressionFormat) throws(CodecError) -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(input.count * 4)
        do {
            try runStream(format, .decompress, source: .memory(input)) { chunk in
                guard output.count + chunk.count <= decompressedSizeLimit else {
                    throw CodecError.outputTooLarge(format, limit: decompressedSizeLimit)
                }
                output.append(contentsOf: chunk)
            }
        } catch let error as CodecError { throw error } catch { fatalError("in-memory sink cannot fail: \(error)") }
        return output
    }

    /// Compresses all of `bytes` into `format` (`.none` returns them unchanged).
    public static func compress(_ bytes: [UInt8], to format: CompressionFormat) throws(CodecError) -> [UInt8] {
        if format == .none { return bytes }
        var output = [UInt8]()
        do {
            try bytes.withUnsafeBytes { input in
                try runStream(format, .compress(contentSize: bytes.count), source: .memory(input)) {
                    output.append(contentsOf: $0)
                }
            }
        } catch let error as CodecError { throw error } catch { fatalError("in-memory sink cannot fail: \(error)") }
        return output
    }

    /// Runs `body` with the plain ELF image of the module file at `path` and the format it was stored in.
    ///
    /// A plain file is memory-mapped copy-on-write, so only the pages `body` reads are loaded (the image is
    /// writable because libelf may rewrite it); a compressed one is decompressed once into memory. The format is
    /// sniffed from the content, as libkmod does.
    public static func withModuleImage<R>(
        at path: FilePath, _ body: (UnsafeMutableRawBufferPointer, CompressionFormat) -> R
    ) throws(CodecFileError) -> R {
        let outcome: Result<R, CodecError>
        do {
            outcome = try MappedFile.withMapping(path) { (mapped: UnsafeMutableRawBufferPointer) -> Result<R, CodecError> in
                let format = CompressionFormat.sniff(UnsafeRawBufferPointer(mapped).prefix(8))
                if format == .none { return .success(body(mapped, .none)) }
                let decompressed = Result { () throws(CodecError) in try decompress(UnsafeRawBufferPointer(mapped), from: format) }
                return decompressed.map { plain in
                    var plain = plain
                    return plain.withUnsafeMutableBytes { body($0, format) }
                }
            }
        } catch { throw CodecFileError(path: path, reason: .system(error)) }
        switch outcome {
        case .success(let value): return value
        case .failure(let error): throw CodecFileError(path: path, reason: .codec(error))
        }
    }

}

import Dispatch
import Synchronization
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Reads many module files in a row (indexing a whole tree) into memory that is reused from one module to the
/// next, instead of mapping, faulting in and unmapping fresh memory for each: with several threads, every
/// `munmap` also stops the other cores to flush their TLBs.
///
/// Each reader owns two growable buffers (file bytes, decompressed image) and is used by one thread at a time;
/// `ScratchImageReader.Pool` hands readers to threads.
public final class ScratchImageReader: @unchecked Sendable {
    private var file = GrowableBuffer()
    private var image = GrowableBuffer()
    /// Decoders kept from one module to the next, so their memory is allocated once per reader.
    private var xz: XZStream?
    private var zstd: ZstdDecoder?

    public init() {}

    /// Runs `body` with the plain ELF image of the module at `path` and the format it was stored in. The image
    /// is only valid inside `body`, and is writable (libelf may rewrite it).
    public func withModuleImage<R>(
        at path: FilePath, _ body: (UnsafeMutableRawBufferPointer, CompressionFormat) -> R
    ) throws(CodecFileError) -> R {
        let read: Int?
        do { read = try readSmallFile(path) } catch { throw CodecFileError(path: path, reason: .system(error)) }
        // A large file is mapped instead: only the pages the parser touches (headers, symbols — often a third of
        // a driver) become resident, and no buffer stays grown to the largest module's size.
        guard let size = read else { return try withLargeModuleImage(at: path, body) }
        let contents = UnsafeMutableRawBufferPointer(rebasing: file.bytes[0..<size])
        let format = CompressionFormat.sniff(UnsafeRawBufferPointer(rebasing: contents.prefix(8)))
        if format == .none { return body(contents, .none) }
        // Only one thread at a time holds a large decompressed image (amdgpu is 20 MB): peak memory stays at
        // one large module plus small ones, as with a single-threaded reader, at almost no cost in parallelism.
        let isLarge = size > Self.largeCompressedFile
        if isLarge { largeImageTurn.wait() }
        defer { if isLarge { largeImageTurn.signal() } }
        let length: Int
        do { length = try decompress(UnsafeRawBufferPointer(contents), format) } catch {
            throw CodecFileError(path: path, reason: .codec(error))
        }
        defer { if image.bytes.count > Self.largeFile { image = GrowableBuffer() } }
        return body(UnsafeMutableRawBufferPointer(rebasing: image.bytes[0..<length]), format)
    }

    /// A large file: mapped, so a plain one is paged in only where the parser looks; a compressed one is decoded
    /// once, at its exact size, while holding the large-image turn, and the image is freed afterwards.
    private func withLargeModuleImage<R>(
        at path: FilePath, _ body: (UnsafeMutableRawBufferPointer, CompressionFormat) -> R
    ) throws(CodecFileError) -> R {
        let outcome: Result<R, CodecError>
        do {
            outcome = try MappedFile.withMapping(path) { (mapped: UnsafeMutableRawBufferPointer) -> Result<R, CodecError> in
                let format = CompressionFormat.sniff(UnsafeRawBufferPointer(rebasing: mapped.prefix(8)))
                if format == .none { return .success(body(mapped, .none)) }
                largeImageTurn.wait()
                defer { largeImageTurn.signal() }
                defer { image = GrowableBuffer() }
                return Result { () throws(CodecError) in try decompress(UnsafeRawBufferPointer(mapped), format) }
                    .map { length in body(UnsafeMutableRawBufferPointer(rebasing: image.bytes[0..<length]), format) }
            }
        } catch { throw CodecFileError(path: path, reason: .system(error)) }
        do { return try outcome.get() } catch { throw CodecFileError(path: path, reason: .codec(error)) }
    }

    /// Decompresses `contents` into `image`; returns the decoded length. xz and single-frame zstd decode straight
    /// into the buffer, sized from the stream; anything else streams through chunks.
    private func decompress(_ contents: UnsafeRawBufferPointer, _ format: CompressionFormat) throws(CodecError) -> Int {
        let limit = Codec.decompressedSizeLimit
        if format == .xz {
            var decoder: XZStream
            if let used = xz.take() {
                decoder = used
                try decoder.restartDecoder()
            } else {
                decoder = try XZStream.decoder()
            }
            do {
                let length = try decoder.decodeWhole(contents, limit: limit) { capacity, keeping in
                    image.reserve(capacity, keeping: keeping)
                    return image.bytes
                }
                xz = consume decoder
                return length
            } catch {
                return try Self.rethrow(error)  // the decoder is dropped: its state is unknown
            }
        }
        if format == .zstd {
            let decoder: ZstdDecoder
            if let used = zstd.take() { decoder = used } else { decoder = try ZstdDecoder() }
            do {
                let length = try decoder.decodeWhole(contents, limit: limit) { capacity in
                    image.reserve(capacity, keeping: 0)
                    return image.bytes
                }
                zstd = consume decoder
                if let length { return length }
            } catch {
                return try Self.rethrow(error)
            }
        }
        var length = 0
        do {
            try runStream(format, .decompress, source: .memory(contents)) { chunk in
                guard length + chunk.count <= limit else { throw CodecError.outputTooLarge(format, limit: limit) }
                image.reserve(length + chunk.count, keeping: length)
                image.bytes.baseAddress!.advanced(by: length).copyMemory(from: chunk.baseAddress!, byteCount: chunk.count)
                length += chunk.count
            }
        } catch let error as CodecError {
            throw error
        } catch {
            fatalError("in-memory sink cannot fail: \(error)")
        }
        return length
    }

    private static func rethrow(_ error: CodecError) throws(CodecError) -> Int { throw error }

    /// Compressed files above this size decode to images large enough that only one thread holds one at a time.
    static let largeCompressedFile = 1 << 20

    /// Files (and images) above this size are not kept in the reusable buffers.
    static let largeFile = 2 << 20

    /// Reads the regular file at `path` into `file` and returns its size, or returns nil without reading when it
    /// is larger than `largeFile`.
    private func readSmallFile(_ path: FilePath) throws(SystemError) -> Int? {
        let fd = path.withPlatformString { open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError("read", path: path, errno: Errno(rawValue: errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemError("read", path: path, errno: Errno(rawValue: errno)) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SystemError("read", path: path, errno: info.st_mode & S_IFMT == S_IFDIR ? .isDirectory : .invalidArgument)
        }
        let size = Int(info.st_size)
        if size > Self.largeFile { return nil }
        file.reserve(size, keeping: 0)
        var offset = 0
        while offset < size {
            let count = pread(fd, file.bytes.baseAddress! + offset, size - offset, off_t(offset))
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw SystemError("read", path: path, errno: Errno(rawValue: errno)) }
            if count == 0 { break }  // the file shrank while being read: use what is there
            offset += count
        }
        return offset
    }

    /// Readers for concurrent use: `withReader` lends one that no other thread holds.
    public final class Pool: Sendable {
        private let idle = Mutex<[ScratchImageReader]>([])

        public init() {}

        public func withReader<R>(_ body: (ScratchImageReader) -> R) -> R {
            let reader = idle.withLock { $0.popLast() } ?? ScratchImageReader()
            defer { idle.withLock { $0.append(reader) } }
            return body(reader)
        }
    }
}

/// The turn to hold a large decompressed image (see `ScratchImageReader.largeCompressedFile`).
private let largeImageTurn = DispatchSemaphore(value: 1)

/// Raw memory that only grows, freed on deinit.
private struct GrowableBuffer: ~Copyable {
    var bytes = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    /// Makes room for `capacity` bytes, keeping the first `keeping` bytes; grows by half again to amortise.
    mutating func reserve(_ capacity: Int, keeping: Int) {
        guard capacity > bytes.count else { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: max(capacity, bytes.count * 3 / 2, 1 << 16), alignment: 16)
        if keeping > 0 { grown.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: keeping) }
        bytes.deallocate()
        bytes = grown
    }

    deinit { bytes.deallocate() }
}

import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

extension Codec {
    /// Streams the file at `source` through a `format` encoder into the new file `destination`, in bounded memory.
    ///
    /// `destination` is created exclusively with `mode`; publishing it (fsync, rename) is the caller's job, so a
    /// failed or interrupted compression never replaces anything. On failure the partial `destination` is removed.
    public static func compressFile(
        _ source: FilePath, to destination: FilePath, format: CompressionFormat,
        mode: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]
    ) throws(CodecFileError) {
        try transformFile(source, to: destination, mode: mode, format: format) { input in
            let size = try? input.seek(offset: 0, from: .end)
            _ = try? input.seek(offset: 0, from: .start)
            return .compress(contentSize: size.map(Int.init))
        }
    }

    /// Streams the `format`-compressed file at `source` into the new plain file `destination`, in bounded memory.
    public static func decompressFile(
        _ source: FilePath, to destination: FilePath, format: CompressionFormat,
        mode: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]
    ) throws(CodecFileError) {
        try transformFile(source, to: destination, mode: mode, format: format) { _ in .decompress }
    }

    /// Opens both files, runs one stream between them, and removes `destination` again if anything fails.
    private static func transformFile(
        _ source: FilePath, to destination: FilePath, mode: FilePermissions, format: CompressionFormat,
        direction: (FileDescriptor) -> StreamDirection
    ) throws(CodecFileError) {
        let input: FileDescriptor
        do { input = try FileDescriptor.open(source, .readOnly, options: [.closeOnExec]) } catch {
            throw CodecFileError(path: source, reason: .system(SystemError("open", path: source, errno: error as? Errno ?? .ioError)))
        }
        defer { try? input.close() }
        let output: FileDescriptor
        do {
            output = try FileDescriptor.open(
                destination, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec], permissions: mode)
        } catch {
            throw CodecFileError(
                path: destination, reason: .system(SystemError("create", path: destination, errno: error as? Errno ?? .ioError)))
        }
        do {
            defer { try? output.close() }
            try runStream(format, direction(input), source: .file(input, path: source)) { chunk in
                do { _ = try output.writeAll(chunk) } catch {
                    throw SystemError("write", path: destination, errno: error as? Errno ?? .ioError)
                }
            }
        } catch {
            _ = destination.withPlatformString { unlink($0) }
            switch error {
            case let error as CodecError: throw CodecFileError(path: source, reason: .codec(error))
            case let error as SystemError: throw CodecFileError(path: error.path, reason: .system(error))
            default: preconditionFailure("unexpected error from a codec stream: \(error)")
            }
        }
    }
}

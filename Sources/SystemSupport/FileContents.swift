import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The kind of object a path names, as `stat(2)` (following links) sees it.
public enum FileKind: Sendable, Equatable {
    case regular(size: Int)
    case directory
    case other
}

/// Small, errno-typed wrappers for reading whole files.
public enum FileContents {
    /// Stats `path`, following symbolic links.
    public static func kind(of path: FilePath) throws(SystemError) -> FileKind {
        var info = stat()
        let rc = path.withPlatformString { stat($0, &info) }
        guard rc == 0 else { throw SystemError("stat", path: path, errno: Errno(rawValue: Glibc.errno)) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular(size: Int(info.st_size))
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// Reads all of the regular file at `path`.
    ///
    /// A directory or device is refused with `EISDIR`/`EINVAL` rather than read, so a caller never blocks on a
    /// FIFO or slurps a block device because a user mistyped a path.
    public static func read(_ path: FilePath) throws(SystemError) -> [UInt8] {
        let size: Int
        let fileKind: FileKind
        do { fileKind = try kind(of: path) } catch { throw SystemError("read", path: path, errno: error.errno) }
        switch fileKind {
        case .regular(let bytes): size = bytes
        case .directory: throw SystemError("read", path: path, errno: .isDirectory)
        case .other: throw SystemError("read", path: path, errno: .invalidArgument)
        }
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec]) } catch {
            throw SystemError("open", path: path, errno: error as? Errno ?? .ioError)
        }
        defer { try? fd.close() }
        // Read straight into the result, sized by stat; a file that grows meanwhile is read to its new end.
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(4096, bytes.count / 2))) }
            let count: Int
            do {
                count = try bytes.withUnsafeMutableBytes {
                    try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...]), retryOnInterrupt: true)
                }
            } catch {
                throw SystemError("read", path: path, errno: error as? Errno ?? .ioError)
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }
}

import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Reading a file that a third party supplies (a package's `dkms.conf`), which must not hang or exhaust kmodmgr:
/// a FIFO would block a plain `open` or `read` forever, a link to `/dev/zero` never ends, a 200 MB file costs its
/// size in memory. The file is opened without blocking, must be a regular file, and must not exceed `limit` bytes.
public enum BoundedFileRead {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// A FIFO, a device, a socket or a directory where a regular file belongs.
        case notRegularFile(kind: String)
        case tooLarge(size: Int, limit: Int)
        case system(SystemError)

        public var description: String {
            switch self {
            case .notRegularFile(let kind): "it is \(kind), not a regular file"
            case .tooLarge(let size, let limit): "it is \(size) bytes; at most \(limit) are read"
            case .system(let error): error.description
            }
        }
    }

    /// The contents of the regular file at `path` (links followed to a regular file), at most `limit` bytes.
    public static func read(_ path: FilePath, limit: Int) throws(Failure) -> [UInt8] {
        let fd = path.withPlatformString { open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY) }
        guard fd >= 0 else { throw .system(SystemError("open", path: path, errno: Errno(rawValue: errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system(SystemError("inspect", path: path, errno: Errno(rawValue: errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile(kind: kind(of: info.st_mode)) }
        guard Int(info.st_size) <= limit else { throw .tooLarge(size: Int(info.st_size), limit: limit) }
        // A regular file never blocks; the size may still grow while it is read: never past limit + 1.
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: min(limit + 1, 1 << 16))
        while bytes.count <= limit {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, min($0.count, limit + 1 - bytes.count)) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw .system(SystemError("read", path: path, errno: Errno(rawValue: errno))) }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        guard bytes.count <= limit else { throw .tooLarge(size: bytes.count, limit: limit) }
        return bytes
    }

    static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFDIR: "a directory"
        default: "not a regular file"
        }
    }
}

import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Whole-file reads and `stat`, with errors that name the file.
public enum FileBytes {
    /// The contents of the file at `path`.
    public static func read(_ path: FilePath) throws(SystemError) -> [UInt8] {
        let fd = path.withPlatformString { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError("open", path: path, errno: Errno(rawValue: errno)) }
        defer { close(fd) }
        // Read into one buffer of the file's size (plus a byte, to see the end in the same call), left
        // uninitialised: growing an array chunk by chunk copies a 5 MB file several times over, and zeroing it
        // first costs as much as the read. Files that report no size (procfs) or grow meanwhile go on below.
        var info = stat()
        let expected = fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFREG ? Int(info.st_size) : 0
        var failure: Int32 = 0
        var reachedEnd = false
        var bytes = [UInt8](unsafeUninitializedCapacity: expected > 0 ? expected + 1 : 1 << 16) { buffer, initialized in
            initialized = 0
            while initialized < buffer.count {
                let count = Glibc.read(fd, buffer.baseAddress! + initialized, buffer.count - initialized)
                if count < 0 && errno == EINTR { continue }
                if count < 0 { failure = errno }
                if count <= 0 {
                    reachedEnd = count == 0
                    return
                }
                initialized += count
            }
        }
        while failure == 0 && !reachedEnd {
            var chunk = [UInt8](repeating: 0, count: max(bytes.count, 1 << 16))
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { failure = errno }
            if count == 0 { reachedEnd = true }
            if count > 0 { bytes.append(contentsOf: chunk[..<count]) }
        }
        guard failure == 0 else { throw SystemError("read", path: path, errno: Errno(rawValue: failure)) }
        return bytes
    }

    /// `stat` (following symbolic links) of `path`.
    public static func status(_ path: FilePath) throws(SystemError) -> FileStatus {
        var info = stat()
        guard path.withPlatformString({ stat($0, &info) }) == 0 else {
            throw SystemError("stat", path: path, errno: Errno(rawValue: errno))
        }
        return FileStatus(info)
    }
}

/// The parts of `struct stat` kmodmgr decides things on.
public struct FileStatus: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case directory, regularFile, other }
    public let kind: Kind
    public let size: Int64
    public let device: UInt64
    public let inode: UInt64
    /// Modification time in nanoseconds since the epoch.
    public let modificationNanoseconds: Int64

    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFDIR: kind = .directory
        case S_IFREG: kind = .regularFile
        default: kind = .other
        }
        size = Int64(info.st_size)
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        modificationNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    public init(kind: Kind, size: Int64, device: UInt64, inode: UInt64, modificationNanoseconds: Int64) {
        self.kind = kind
        self.size = size
        self.device = device
        self.inode = inode
        self.modificationNanoseconds = modificationNanoseconds
    }
}

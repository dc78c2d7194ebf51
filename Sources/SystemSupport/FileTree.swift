import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Whole directory trees, handled in-process (no `cp -a`, `rm -rf` or `chown -R` child process): walked in a
/// stable order, copied with modes and symlinks kept, handed to another owner, removed.
public enum FileTree {
    public enum EntryKind: String, Sendable { case directory, regularFile = "file", symbolicLink = "symlink" }

    public struct Entry: Sendable {
        /// Relative to the walked root, `/`-separated, never starting with `/`.
        public let relativePath: String
        public let kind: EntryKind
        /// Permission bits, with set-id and sticky (`st_mode` without the file type).
        public let mode: UInt32
        public let linkTarget: String?
        /// From the same `lstat`: enough to notice a rewritten file without reading it (`ContentHash.stamp`).
        public let size: Int64
        public let modificationNanoseconds: Int64
        public let inode: UInt64
    }

    /// Every entry under `root` (not `root` itself), parents before children, siblings sorted bytewise. Symlinks are
    /// reported, not followed; sockets, FIFOs and devices are skipped (a source tree has no business holding them).
    public static func walk(_ root: FilePath) throws(SystemError) -> [Entry] {
        var entries = [Entry]()
        var pending: [String] = [""]
        while let relative = pending.popLast() {
            let directory = relative.isEmpty ? root : root.appending(relative)
            guard let listing = DirectoryListing.entries(in: directory) else {
                throw SystemError("list", path: directory, errno: Errno(rawValue: errno))
            }
            var subdirectories = [String]()
            for name in listing.map(\.name).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                let path = relative.isEmpty ? name : relative + "/" + name
                let full = root.appending(path)
                var info = stat()
                guard lstat(full.string, &info) == 0 else {
                    throw SystemError("inspect", path: full, errno: Errno(rawValue: errno))
                }
                let kind: EntryKind
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    kind = .directory
                    subdirectories.append(path)
                case S_IFREG: kind = .regularFile
                case S_IFLNK: kind = .symbolicLink
                default: continue
                }
                entries.append(
                    Entry(
                        relativePath: path, kind: kind, mode: UInt32(info.st_mode) & ~UInt32(S_IFMT),
                        linkTarget: kind == .symbolicLink ? try readLink(full) : nil, size: Int64(info.st_size),
                        modificationNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                        inode: UInt64(info.st_ino)))
            }
            pending.append(contentsOf: subdirectories.reversed())
        }
        return entries
    }

    /// Copies the tree `source` into `destination` (which must not exist yet). With `owner`, everything created
    /// belongs to that identity (a build user must be able to write its copy).
    public static func copy(_ source: FilePath, to destination: FilePath, owner: ProcessIdentity? = nil) throws(SystemError) {
        var info = stat()
        guard stat(source.string, &info) == 0 else { throw SystemError("inspect", path: source, errno: Errno(rawValue: errno)) }
        try makeDirectory(destination, mode: UInt32(info.st_mode) & ~UInt32(S_IFMT) | 0o700, owner: owner)
        for entry in try walk(source) {
            let target = destination.appending(entry.relativePath)
            switch entry.kind {
            case .directory:
                try makeDirectory(target, mode: entry.mode | 0o700, owner: owner)
            case .regularFile:
                try copyFile(source.appending(entry.relativePath), to: target, mode: entry.mode, owner: owner)
            case .symbolicLink:
                guard symlink(entry.linkTarget ?? "", target.string) == 0 else {
                    throw SystemError("create symlink", path: target, errno: Errno(rawValue: errno))
                }
                if let owner { lchown(target.string, owner.userID, owner.groupID) }
            }
        }
    }

    /// Copies one regular file, with `mode`, through a buffer. `source` is opened without following a link and
    /// without blocking, and must still be a regular file: a tree swapped under the copy (a file replaced by a link
    /// to a root-only file, or by a FIFO, between the walk and the open) is refused, not followed.
    public static func copyFile(_ source: FilePath, to target: FilePath, mode: UInt32 = 0o644, owner: ProcessIdentity? = nil)
        throws(SystemError)
    {
        let input = open(source.string, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard input >= 0 else { throw SystemError("open", path: source, errno: Errno(rawValue: errno)) }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw SystemError("copy (not a regular file)", path: source, errno: .invalidArgument)
        }
        let output = open(target.string, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard output >= 0 else { throw SystemError("create", path: target, errno: Errno(rawValue: errno)) }
        defer { close(output) }
        try copyByReading(input, to: output, source: source, target: target)
        fchmod(output, mode_t(mode))
        if let owner { fchown(output, owner.userID, owner.groupID) }
    }

    /// Removes `path` and everything below it; a path that does not exist is not an error.
    public static func remove(_ path: FilePath) throws(SystemError) {
        var info = stat()
        guard lstat(path.string, &info) == 0 else {
            if errno == ENOENT { return }
            throw SystemError("inspect", path: path, errno: Errno(rawValue: errno))
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            for name in DirectoryListing.names(in: path) { try remove(path.appending(name)) }
            guard rmdir(path.string) == 0 else { throw SystemError("remove", path: path, errno: Errno(rawValue: errno)) }
        } else {
            guard unlink(path.string) == 0 else { throw SystemError("remove", path: path, errno: Errno(rawValue: errno)) }
        }
    }

    /// Creates `path` and any missing parents with `mode` (like `mkdir -p`).
    public static func makeDirectories(_ path: FilePath, mode: UInt32 = 0o755) throws(SystemError) {
        if exists(path) { return }
        let parent = path.removingLastComponent()
        if parent != path && !parent.isEmpty { try makeDirectories(parent, mode: mode) }
        guard mkdir(path.string, mode_t(mode)) == 0 || errno == EEXIST else {
            throw SystemError("create directory", path: path, errno: Errno(rawValue: errno))
        }
    }

    public static func exists(_ path: FilePath) -> Bool {
        var info = stat()
        return lstat(path.string, &info) == 0
    }

    public static func isDirectory(_ path: FilePath) -> Bool {
        var info = stat()
        return stat(path.string, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// The target a symbolic link holds, as written.
    public static func readLink(_ path: FilePath) throws(SystemError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path.string, &buffer, buffer.count - 1)
        guard count >= 0 else { throw SystemError("read link", path: path, errno: Errno(rawValue: errno)) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func makeDirectory(_ path: FilePath, mode: UInt32, owner: ProcessIdentity?) throws(SystemError) {
        guard mkdir(path.string, mode_t(mode)) == 0 else {
            throw SystemError("create directory", path: path, errno: Errno(rawValue: errno))
        }
        chmod(path.string, mode_t(mode))
        if let owner { chown(path.string, owner.userID, owner.groupID) }
    }

    private static func copyByReading(_ input: Int32, to output: Int32, source: FilePath, target: FilePath) throws(SystemError) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", path: source, errno: Errno(rawValue: errno))
            }
            var written = 0
            while written < count {
                let result = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, count - written) }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw SystemError("write", path: target, errno: Errno(rawValue: errno))
                }
                written += result
            }
        }
    }
}

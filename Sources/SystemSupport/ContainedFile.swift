import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A file that an unprivileged process produced (a module a build left in its directory), read by root without
/// root's reach: every component below `directory` is opened with `O_NOFOLLOW` (a link to `/etc/shadow`, or a
/// directory swapped for a link, is refused instead of followed), the file must be a regular file (a FIFO would
/// block forever), opened without blocking, and no larger than `limit`.
public enum ContainedFile {
    /// Copies `relativePath` below `directory` to `target` (created, `mode`); nothing is written when refused.
    public static func copy(_ relativePath: String, beneath directory: FilePath, to target: FilePath, mode: UInt32 = 0o644, limit: Int)
        throws(BoundedFileRead.Failure)
    {
        let input = try open(relativePath, beneath: directory, limit: limit)
        defer { close(input) }
        let output = Glibc.open(target.string, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard output >= 0 else { throw .system(SystemError("create", path: target, errno: Errno(rawValue: errno))) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var total = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw .system(SystemError("read", path: directory.appending(relativePath), errno: Errno(rawValue: errno))) }
            if count == 0 { break }
            total += count
            guard total <= limit else { throw .tooLarge(size: total, limit: limit) }
            var written = 0
            while written < count {
                let result = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, count - written) }
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else { throw .system(SystemError("write", path: target, errno: Errno(rawValue: errno))) }
                written += result
            }
        }
        fchmod(output, mode_t(mode))
    }

    /// An open descriptor of the regular file `relativePath` below `directory`, reached without following links.
    static func open(_ relativePath: String, beneath directory: FilePath, limit: Int) throws(BoundedFileRead.Failure) -> Int32 {
        let components = relativePath.split(separator: "/").map(String.init)
        guard !components.isEmpty, !components.contains("..") else {
            throw .system(SystemError("open", path: directory.appending(relativePath), errno: .invalidArgument))
        }
        var current = Glibc.open(directory.string, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard current >= 0 else { throw .system(SystemError("open", path: directory, errno: Errno(rawValue: errno))) }
        var reached = directory
        for (index, component) in components.enumerated() {
            reached.append(component)
            let isLast = index == components.count - 1
            let flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (isLast ? O_NONBLOCK | O_NOCTTY : O_DIRECTORY)
            let next = openat(current, component, flags)
            let failure = errno
            close(current)
            guard next >= 0 else {
                if failure == ELOOP || (failure == ENOTDIR && isSymbolicLink(reached)) { throw .notRegularFile(kind: "a symbolic link") }
                throw .system(SystemError("open", path: reached, errno: Errno(rawValue: failure)))
            }
            current = next
        }
        var info = stat()
        guard fstat(current, &info) == 0 else {
            close(current)
            throw .system(SystemError("inspect", path: reached, errno: Errno(rawValue: errno)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(current)
            throw .notRegularFile(kind: BoundedFileRead.kind(of: info.st_mode))
        }
        guard Int(info.st_size) <= limit else {
            close(current)
            throw .tooLarge(size: Int(info.st_size), limit: limit)
        }
        return current
    }

    private static func isSymbolicLink(_ path: FilePath) -> Bool {
        var info = stat()
        return lstat(path.string, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }
}

import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive `flock` on a lock file that names its holder: the holder writes its process id into the file, so
/// a second kmodmgr can say whom it is waiting for. The lock goes with the descriptor: it is released when the
/// value is dropped, and by the kernel when the holder dies (a `kill -9` never leaves a stale lock).
public struct LockFile: ~Copyable {
    /// What to do when another process holds the lock.
    public enum Contention: Sendable {
        /// Wait for it, after telling `onWait` who holds it.
        case wait
        /// Fail at once with `LockError.busy`.
        case fail
    }

    private let descriptor: Int32

    /// Takes the lock on `path` (created if missing). When it is busy, `onWait` is told the holder's process id
    /// (nil if unknown) before waiting, or `.busy` is thrown with `.fail`.
    public init(_ path: FilePath, contention: Contention, onWait: (Int32?) -> Void = { _ in }) throws(LockError) {
        let fd = path.withPlatformString { open($0, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw .system(SystemError("open", path: path, errno: Errno(rawValue: errno))) }
        if !Self.lock(fd, blocking: false) {
            guard errno == EWOULDBLOCK else {
                let error = Errno(rawValue: errno)
                close(fd)
                throw .system(SystemError("lock", path: path, errno: error))
            }
            let holder = Self.holder(fd)
            guard contention == .wait else {
                close(fd)
                throw .busy(path: path, holder: holder)
            }
            onWait(holder)
            guard Self.lock(fd, blocking: true) else {
                let error = Errno(rawValue: errno)
                close(fd)
                throw .system(SystemError("lock", path: path, errno: error))
            }
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = fd
    }

    /// Releases the lock now (it is also released when the value goes away).
    public consuming func release() {}

    deinit {
        _ = ftruncate(descriptor, 0)
        close(descriptor)
    }

    /// `flock(LOCK_EX)`, retried on EINTR; false with `errno` set on failure.
    private static func lock(_ fd: Int32, blocking: Bool) -> Bool {
        while flock(fd, LOCK_EX | (blocking ? 0 : LOCK_NB)) != 0 {
            if errno != EINTR { return false }
        }
        return true
    }

    /// The process id the holder wrote, if the file holds one.
    private static func holder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer.prefix(count), as: UTF8.self).split(separator: "\n").first ?? "")
    }
}

/// Why a lock could not be taken.
public enum LockError: Error, Sendable, CustomStringConvertible {
    /// Another process holds it and the caller chose not to wait.
    case busy(path: FilePath, holder: Int32?)
    case system(SystemError)

    public var description: String {
        switch self {
        case .busy(let path, let holder):
            "\(path) is held by " + (holder.map { "another kmodmgr (pid \($0))" } ?? "another kmodmgr")
                + " and --no-wait was given"
        case .system(let error): error.description
        }
    }
}

import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive `flock` held on a directory itself, so two kmodmgr processes never publish into it at once —
/// without leaving a lock file behind in directories other tools own (`/lib/modules/<kver>`).
///
/// The lock is released when the value is dropped (`deinit` closes the descriptor).
public struct DirectoryLock: ~Copyable {
    private let descriptor: Int32

    /// Waits until no other process holds `directory`, then holds it.
    public init(_ directory: FilePath) throws(SystemError) {
        let fd = directory.withPlatformString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError("open", path: directory, errno: Errno(rawValue: errno)) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let error = Errno(rawValue: errno)
                close(fd)
                throw SystemError("lock", path: directory, errno: error)
            }
        }
        descriptor = fd
    }

    /// Releases the lock now (it is also released when the value goes away).
    public consuming func release() {}

    deinit { close(descriptor) }
}

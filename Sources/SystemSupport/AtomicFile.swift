import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// One file replaced all at once: written to a temp file beside it (`NAME.tmp-PID`, see `TemporaryName`), fsynced,
/// renamed over the old one, and the directory fsynced — a reader (or a crash) sees the old contents or the new,
/// never a mix. A crash before the rename leaves the temp file, which the next command's recovery removes.
public enum AtomicFile {
    public static func write(
        _ contents: [UInt8], to path: FilePath, permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]
    )
        throws(SystemError)
    {
        let temporary = TemporaryName.make(.file, for: path)
        do {
            let descriptor = try FileDescriptor.open(
                temporary, .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: permissions)
            try descriptor.closeAfter {
                _ = try descriptor.writeAll(contents)
                guard fsync(descriptor.rawValue) == 0 else { throw Errno(rawValue: errno) }
            }
        } catch {
            unlink(temporary.string)
            throw SystemError("write", path: temporary, errno: (error as? Errno) ?? .ioError)
        }
        FaultInjection.point("before renaming a file into place")
        guard rename(temporary.string, path.string) == 0 else {
            let failure = Errno(rawValue: errno)
            unlink(temporary.string)
            throw SystemError("rename into place", path: path, errno: failure)
        }
        try syncDirectory(path.removingLastComponent())
        FaultInjection.point("after renaming a file into place")
    }

    /// fsync of a directory, so that the renames and creations in it survive a crash.
    public static func syncDirectory(_ directory: FilePath) throws(SystemError) {
        let fd = open(directory.string, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", path: directory, errno: Errno(rawValue: errno)) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SystemError("sync", path: directory, errno: Errno(rawValue: errno)) }
    }
}

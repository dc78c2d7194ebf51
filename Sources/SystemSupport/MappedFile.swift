import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Private, writable memory maps of whole regular files.
public enum MappedFile {
    /// Runs `body` with the regular file at `path` mapped copy-on-write (`MAP_PRIVATE`, read and write): only the
    /// pages `body` touches are read from disk, and its writes never reach the file. Unmapped afterwards.
    public static func withMapping<R>(
        _ path: FilePath, _ body: (UnsafeMutableRawBufferPointer) -> R
    ) throws(SystemError) -> R {
        // One path lookup: open (O_NONBLOCK, so a FIFO cannot hang us), then ask the descriptor what it is.
        let fd = path.withPlatformString { open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError("read", path: path, errno: Errno(rawValue: errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemError("read", path: path, errno: Errno(rawValue: errno)) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw SystemError("read", path: path, errno: .isDirectory)
        default: throw SystemError("read", path: path, errno: .invalidArgument)
        }
        let size = Int(info.st_size)
        if size == 0 { return body(UnsafeMutableRawBufferPointer(start: nil, count: 0)) }
        let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else { throw SystemError("map", path: path, errno: Errno(rawValue: errno)) }
        defer { munmap(address, size) }
        return body(UnsafeMutableRawBufferPointer(start: address, count: size))
    }
}

import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Private, writable memory maps of whole files.
public enum MappedFile {
    /// Runs `body` with the regular file at `path` mapped copy-on-write (`MAP_PRIVATE`, read and write): only the
    /// pages `body` touches are read from disk, and its writes never reach the file. Unmapped afterwards.
    public static func withMapping<R>(
        _ path: FilePath, _ body: (UnsafeMutableRawBufferPointer) -> R
    ) throws(SystemError) -> R {
        let kind: FileKind
        do { kind = try FileContents.kind(of: path) } catch { throw SystemError("read", path: path, errno: error.errno) }
        let size: Int
        switch kind {
        case .regular(let bytes): size = bytes
        case .directory: throw SystemError("read", path: path, errno: .isDirectory)
        case .other: throw SystemError("read", path: path, errno: .invalidArgument)
        }
        if size == 0 { return body(UnsafeMutableRawBufferPointer(start: nil, count: 0)) }
        let fd = path.withPlatformString { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError("open", path: path, errno: Errno(rawValue: errno)) }
        let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
        let mapError = errno
        close(fd)
        guard let address, address != MAP_FAILED else { throw SystemError("map", path: path, errno: Errno(rawValue: mapError)) }
        defer { munmap(address, size) }
        return body(UnsafeMutableRawBufferPointer(start: address, count: size))
    }
}

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

/// Errno-typed facts about files.
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
}

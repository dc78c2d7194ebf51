import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The ambient facts of this process — read here, at the edge, and passed down as values.
enum ProcessEnvironment {
    /// The current directory (`getcwd`).
    static var currentDirectory: FilePath {
        guard let cwd = getcwd(nil, 0) else { return "/" }
        defer { free(cwd) }
        return FilePath(String(cString: cwd))
    }

    /// `path` as given on the command line, made absolute against the current directory.
    static func absolute(_ path: String) -> FilePath {
        let given = FilePath(path)
        return given.isAbsolute ? given : currentDirectory.pushing(given)
    }

    /// The running kernel's release (`uname -r`).
    static var runningKernelRelease: String { RunningKernel.release }
}

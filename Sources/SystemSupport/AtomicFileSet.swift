import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Replaces a set of files in one directory so that readers see either all the old files or all the new ones
/// from each file's point of view, and a failure changes nothing.
///
/// Every member is first written to a temp file in the destination directory (`O_CREAT|O_EXCL`, mode 0644 less
/// the umask) and fsynced; only when all of them are on disk are they renamed over their targets, then the
/// directory is fsynced. If any write fails, every temp file is removed and the previous files stay untouched.
public struct AtomicFileSet {
    /// The directory every member lives in.
    public let directory: FilePath

    public init(directory: FilePath) {
        self.directory = directory
    }

    /// Writes `files` (name → contents) and publishes them together.
    public func publish(_ files: [(name: String, contents: [UInt8])]) throws(SystemError) {
        // Members are written and fsynced in parallel: each fsync mostly waits for the disk, and the waits overlap.
        let outcomes = files.parallelMap { file in
            let final = directory.appending(file.name)
            return Result { () throws(SystemError) in (temp: try Self.writeTemp(file.contents, nextTo: final), final: final) }
        }
        let written = outcomes.compactMap { try? $0.get() }
        for outcome in outcomes {
            if case .failure(let error) = outcome {
                for member in written { _ = member.temp.withPlatformString { unlink($0) } }
                throw error
            }
        }
        for (index, member) in written.enumerated() {
            let renamed = member.temp.withPlatformString { temp in member.final.withPlatformString { rename(temp, $0) } }
            guard renamed == 0 else {
                let failure = SystemError("rename into place", path: member.final, errno: Errno(rawValue: errno))
                for rest in written[index...] { _ = rest.temp.withPlatformString { unlink($0) } }
                throw failure
            }
        }
        try Self.syncDirectory(directory)
    }

    /// Writes `contents` to a new temp file next to `final`, fsynced; returns its path.
    static func writeTemp(_ contents: [UInt8], nextTo final: FilePath) throws(SystemError) -> FilePath {
        var attempt = 0
        while true {
            let temp = FilePath("\(final).kmodmgr-\(getpid())-\(attempt).tmp")
            let fd = temp.withPlatformString { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
            if fd < 0 {
                let error = Errno(rawValue: errno)
                if error == .fileExists && attempt < 100 {
                    attempt += 1
                    continue
                }
                throw SystemError("create", path: temp, errno: error)
            }
            defer { close(fd) }
            do throws(SystemError) {
                try writeAll(contents, to: fd, path: temp)
                guard fsync(fd) == 0 else { throw SystemError("sync", path: temp, errno: Errno(rawValue: errno)) }
            } catch {
                _ = temp.withPlatformString { unlink($0) }
                throw error
            }
            return temp
        }
    }

    private static func writeAll(_ contents: [UInt8], to fd: Int32, path: FilePath) throws(SystemError) {
        var offset = 0
        while offset < contents.count {
            let written = contents.withUnsafeBytes { write(fd, $0.baseAddress! + offset, contents.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path: path, errno: Errno(rawValue: errno))
            }
            offset += written
        }
    }

    /// fsyncs a directory so that renames in it survive a crash.
    static func syncDirectory(_ directory: FilePath) throws(SystemError) {
        let fd = directory.withPlatformString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError("open", path: directory, errno: Errno(rawValue: errno)) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SystemError("sync", path: directory, errno: Errno(rawValue: errno)) }
    }
}

import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Replaces a set of files in one directory as one change: either every member is replaced or none is.
///
/// Every member is first written to a temp file in the destination directory (`NAME.kmodmgr-PID-N.tmp`, see
/// `TemporaryName`; `O_CREAT|O_EXCL`, mode 0644 less the umask) and fsynced. Each existing member is then kept as a hard link, and only then are the temp files
/// renamed over their targets. If a write fails, nothing was replaced; if a rename fails, the members already
/// replaced are put back from their links. Temp files and links are removed either way, and the directory is
/// fsynced after a successful publication.
public struct AtomicFileSet {
    /// The directory every member lives in.
    public let directory: FilePath
    /// Whether members and the directory are fsynced. Only for files that check their own integrity (a
    /// checksum) and may be lost in a crash: replacement by rename stays all-or-nothing either way.
    public var durable: Bool

    public init(directory: FilePath, durable: Bool = true) {
        self.directory = directory
        self.durable = durable
    }

    /// Writes `files` (name → contents) and publishes them together. The caller holds the directory's lock
    /// (`DirectoryLock`): temp files another run left behind when it was killed are removed first.
    public func publish(_ files: [(name: String, contents: [UInt8])]) throws(AtomicFileSetError) {
        removeAbandonedTemps(of: files.map(\.name))
        // Members are written and fsynced in parallel: each fsync mostly waits for the disk, and the waits overlap.
        let outcomes = files.parallelMap { file in
            let final = directory.appending(file.name)
            return Result { () throws(SystemError) in
                (temp: try Self.writeTemp(file.contents, nextTo: final, sync: durable), final: final)
            }
        }
        var members = [Member]()
        var failure: SystemError?
        for outcome in outcomes {
            switch outcome {
            case .success(let written): members.append(Member(temp: written.temp, final: written.final))
            case .failure(let error): failure = failure ?? error
            }
        }
        defer { for member in members { member.removeLeftovers() } }
        if let failure { throw .notPublished(failure) }

        do {
            for index in members.indices { try members[index].keepPrevious() }
        } catch { throw .notPublished(error) }
        for index in members.indices {
            FaultInjection.point("before renaming a member of a file set into place")
            guard Self.rename(members[index].temp, members[index].final) == 0 else {
                let error = SystemError("rename into place", path: members[index].final, errno: Errno(rawValue: errno))
                let restored = members[..<index].allSatisfy { $0.restorePrevious() }
                throw restored ? .notPublished(error) : .partlyPublished(error)
            }
            members[index].isPublished = true
            FaultInjection.point("after renaming a member of a file set into place")
        }
        guard durable else { return }
        do { try Self.syncDirectory(directory) } catch { throw .publishedWithoutSync(error) }
    }

    /// Removes `NAME.kmodmgr-PID-N.tmp` and `NAME.kmodmgr-PID-previous` files of these members: what a run killed
    /// mid-publication leaves (names with the pid keep live runs apart; the lock keeps them from overlapping).
    private func removeAbandonedTemps(of names: [String]) {
        for entry in DirectoryListing.names(in: directory) {
            guard let temporary = TemporaryName.parse(entry), temporary.pattern == .setMember || temporary.pattern == .setPrevious,
                names.contains(temporary.target)
            else { continue }
            _ = unlinkPath(directory.appending(entry))
        }
    }

    /// One member on its way into place.
    private struct Member {
        let temp: FilePath
        let final: FilePath
        /// A hard link to the file being replaced, while the set is published (nil: there was none).
        var previous: FilePath?
        var isPublished = false

        /// Links the current file (if any) under a spare name, so it can be put back.
        mutating func keepPrevious() throws(SystemError) {
            let link = TemporaryName.make(.setPrevious, for: final)
            _ = unlinkPath(link)
            let linked = final.withPlatformString { from in link.withPlatformString { Glibc.link(from, $0) } }
            if linked == 0 {
                previous = link
            } else if errno != ENOENT {
                throw SystemError("keep the previous version of", path: final, errno: Errno(rawValue: errno))
            }
        }

        /// Puts the previous file back (or removes the new one when there was none); false if that failed.
        func restorePrevious() -> Bool {
            if let previous { return AtomicFileSet.rename(previous, final) == 0 }
            return unlinkPath(final) == 0
        }

        /// Removes the temp file if it was not published, and the link to the previous version.
        func removeLeftovers() {
            if !isPublished { _ = unlinkPath(temp) }
            if let previous { _ = unlinkPath(previous) }
        }
    }

    private static func rename(_ from: FilePath, _ to: FilePath) -> Int32 {
        from.withPlatformString { from in to.withPlatformString { Glibc.rename(from, $0) } }
    }

    /// Writes `contents` to a new temp file next to `final` (fsynced if `sync`); returns its path.
    static func writeTemp(_ contents: [UInt8], nextTo final: FilePath, sync: Bool) throws(SystemError) -> FilePath {
        var attempt = 0
        while true {
            let temp = TemporaryName.make(.setMember, for: final, attempt: attempt)
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
                guard !sync || fsync(fd) == 0 else { throw SystemError("sync", path: temp, errno: Errno(rawValue: errno)) }
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

private func unlinkPath(_ path: FilePath) -> Int32 {
    path.withPlatformString { unlink($0) }
}

/// Why a file set was not (fully) published.
public enum AtomicFileSetError: Error, Sendable, CustomStringConvertible {
    /// Nothing was replaced: the previous files are as they were.
    case notPublished(SystemError)
    /// A rename failed and putting the earlier members back failed too: the set is mixed.
    case partlyPublished(SystemError)
    /// Every member was replaced, but the directory could not be synced: a crash may undo the renames.
    case publishedWithoutSync(SystemError)

    public var description: String {
        switch self {
        case .notPublished(let error): "\(error); the previous files are unchanged"
        case .partlyPublished(let error): "\(error), and the previous files could not all be restored"
        case .publishedWithoutSync(let error): "published, but \(error)"
        }
    }
}

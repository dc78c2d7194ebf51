import StateStore
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Carries out a journal's steps on the files under the root. Every step checks what is already done (by
/// content digest), so a journal can be replayed after a crash at any instant, and an install can be undone
/// step by step from the journal alone. Each file change is durable before the next starts (temp file, fsync,
/// rename, directory fsync), and passes a `FaultInjection` point so the tests can kill the process right there.
struct Transaction {
    let journal: Journal
    let root: Root

    /// Does every step, in order (again, after a crash: steps already done are recognised and skipped).
    func apply() throws(SystemError) {
        // A file removed where a moved-aside module goes back: once that module is back (its backup gone), a
        // replay must not remove it again.
        var restoredPaths = Set<String>()
        for case .restore(let backup, let original, _) in journal.steps where !FileTree.exists(path(backup)) {
            restoredPaths.insert(original)
        }
        for step in journal.steps {
            switch step {
            case .makeDirectory(let directory):
                try FileTree.makeDirectories(path(directory))
            case .displace(let original, let backup, let digest):
                try displace(path(original), to: path(backup), digest: digest)
            case .place(let staged, let destination, let digest):
                if try !holds(path(destination), digest) {
                    try AtomicFile.write(try FileBytes.read(path(staged)), to: path(destination))
                }
            case .remove(let destination, _):
                if !restoredPaths.contains(destination) { try removeFile(path(destination)) }
            case .restore(let backup, let original, let digest):
                try displace(path(backup), to: path(original), digest: digest)
            case .removeDirectory(let directory):
                rmdir(path(directory).string)
            }
            FaultInjection.point("after a journal step")
        }
    }

    /// Undoes an install's steps, last first: removes what was placed (only files with the digest placed), puts
    /// moved-aside modules back, removes the directories it made if they are empty. Goes on past failures and
    /// returns the first, so one stubborn file never keeps the others from being restored.
    func undo() -> SystemError? {
        var firstFailure: SystemError?
        for step in journal.steps.reversed() {
            do throws(SystemError) {
                switch step {
                case .place(_, let destination, let digest):
                    if try holds(path(destination), digest) { try removeFile(path(destination)) }
                case .displace(let original, let backup, let digest):
                    try displace(path(backup), to: path(original), digest: digest)
                case .makeDirectory(let directory):
                    rmdir(path(directory).string)
                case .remove, .restore, .removeDirectory:
                    break
                }
            } catch {
                firstFailure = firstFailure ?? error
            }
            FaultInjection.point("after undoing a journal step")
        }
        return firstFailure
    }

    private func path(_ systemPath: String) -> FilePath { root.resolve(FilePath(systemPath)) }

    /// Moves the file `from` to `to` across file systems (`/lib/modules` and `/var/lib` may differ): a durable
    /// copy with the expected digest first, then the removal. Done when `from` is gone and `to` holds `digest`.
    private func displace(_ from: FilePath, to: FilePath, digest: String) throws(SystemError) {
        if FileTree.exists(from) {
            if try !holds(to, digest) {
                let bytes = try FileBytes.read(from)
                guard ContentHash.of(bytes) == digest else {
                    throw SystemError(
                        "move aside (its contents changed since the journal was written)", path: from, errno: .invalidArgument)
                }
                try FileTree.makeDirectories(to.removingLastComponent())
                try AtomicFile.write(bytes, to: to)
            }
            try removeFile(from)
        } else if try !holds(to, digest) {
            throw SystemError("find (neither it nor its copy exists)", path: from, errno: .noSuchFileOrDirectory)
        }
    }

    /// Whether `file` exists and holds exactly the bytes with SHA-256 `digest`.
    private func holds(_ file: FilePath, _ digest: String) throws(SystemError) -> Bool {
        do {
            return try ContentHash.of(file: file) == digest
        } catch {
            if error.errno == .noSuchFileOrDirectory { return false }
            throw error
        }
    }

    private func removeFile(_ file: FilePath) throws(SystemError) {
        guard unlink(file.string) == 0 || errno == ENOENT else {
            throw SystemError("remove", path: file, errno: Errno(rawValue: errno))
        }
        try? AtomicFile.syncDirectory(file.removingLastComponent())
    }
}

import Foundation
import Synchronization
import SystemPackage
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `LockFile` and `DirectoryLock`: one holder at a time across processes, a named holder, and no stale lock after
/// a `kill -9`. The other holder is a real child process (`flock` on its own descriptor, as another kmodmgr would).
@Suite struct LockTests {
    /// A child that opens `$1`, takes an exclusive `flock` on it and writes its pid into it — what LockFile does.
    static let holdLockFile = #"exec 9<>"$1"; flock -x 9; echo $$ >"$1"; echo ready; exec sleep 60"#
    /// A child holding an exclusive `flock` on the directory `$1` itself.
    static let holdDirectory = #"exec 9<"$1"; flock -x 9; echo ready; exec sleep 60"#

    /// The holder writes its pid into the file; the lock is the file's, not the process's: a second open in the
    /// same process is refused too. Releasing empties the file, and the lock can be taken again.
    @Test func theHolderNamesItself() throws {
        let scratch = try TemporaryDirectory()
        let path = scratch.filePath("lock")
        let lock = try LockFile(path, contention: .fail)
        #expect(try readText(path) == "\(getpid())\n")
        let second = #expect(throws: LockError.self) { _ = try LockFile(path, contention: .fail) }
        guard case .busy(let busyPath, let holder) = second else {
            Issue.record("expected busy, got \(String(describing: second))")
            return
        }
        #expect(busyPath == path && holder == getpid())
        lock.release()
        #expect(try readText(path) == "")
        let again = try LockFile(path, contention: .fail)
        again.release()
    }

    /// With `.fail`, another process's lock is refused at once, naming that process's pid — in the error and its
    /// message; its `kill -9` frees the lock (no stale lock).
    @Test func anotherProcessIsNamedAndItsDeathFreesTheLock() throws {
        let scratch = try TemporaryDirectory()
        let path = scratch.filePath("lock")
        let child = try ReadyChild(Self.holdLockFile, [path.string])
        let refused = #expect(throws: LockError.self) { _ = try LockFile(path, contention: .fail) }
        guard case .busy(_, let holder) = refused else {
            Issue.record("expected busy, got \(String(describing: refused))")
            return
        }
        #expect(holder == child.pid)
        #expect(refused?.description == "\(path) is held by another kmodmgr (pid \(child.pid)) and --no-wait was given")

        child.kill()
        let lock = try LockFile(path, contention: .fail)
        #expect(try readText(path) == "\(getpid())\n")
        lock.release()
    }

    /// With `.wait`, `onWait` hears the holder's pid first, then the call blocks until the holder is gone.
    @Test func waitingBlocksUntilTheHolderIsGone() throws {
        let scratch = try TemporaryDirectory()
        let path = scratch.filePath("lock")
        let child = try ReadyChild(Self.holdLockFile, [path.string])
        let heard = Mutex<[Int32?]>([])
        let start = ContinuousClock.now
        let lock = try LockFile(path, contention: .wait) { holder in
            heard.withLock { $0.append(holder) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.4) { child.kill() }
        }
        let waited = ContinuousClock.now - start
        #expect(heard.withLock { $0 } == [child.pid])
        #expect(waited >= .milliseconds(350), "took the lock after \(waited), while the child still held it")
        #expect(try readText(path) == "\(getpid())\n")
        lock.release()
    }

    /// A free lock does not call `onWait`; a holder that wrote nothing is reported as unknown (nil); a lock in a
    /// missing directory is a system error naming the file.
    @Test func freeLocksUnknownHoldersAndMissingDirectories() throws {
        let scratch = try TemporaryDirectory()
        let path = scratch.filePath("lock")
        let lock = try LockFile(path, contention: .wait) { _ in Issue.record("onWait called for a free lock") }
        lock.release()

        let silent = try ReadyChild(#"exec 9<>"$1"; flock -x 9; echo ready; exec sleep 60"#, [path.string])
        let refused = #expect(throws: LockError.self) { _ = try LockFile(path, contention: .fail) }
        guard case .busy(_, let holder) = refused else {
            Issue.record("expected busy, got \(String(describing: refused))")
            return
        }
        #expect(holder == nil)
        #expect(refused?.description == "\(path) is held by another kmodmgr and --no-wait was given")
        silent.kill()

        let missing = #expect(throws: LockError.self) { _ = try LockFile(scratch.filePath("absent/lock"), contention: .fail) }
        guard case .system(let error) = missing else {
            Issue.record("expected a system error, got \(String(describing: missing))")
            return
        }
        #expect(error.path == scratch.filePath("absent/lock") && error.errno == .noSuchFileOrDirectory)
    }

    /// `DirectoryLock` holds the directory itself: `flock -n` on it fails while held and succeeds once released;
    /// and it waits while another process holds the directory.
    @Test func directoryLockExcludesOtherProcessesAndWaitsForThem() throws {
        let scratch = try TemporaryDirectory()
        let directory = scratch.filePath("modules")
        try FileTree.makeDirectories(directory)
        let lock = try DirectoryLock(directory)
        #expect(try run("flock", ["-n", directory.string, "true"]).status != 0)
        lock.release()
        #expect(try run("flock", ["-n", directory.string, "true"]).status == 0)
        #expect(DirectoryListing.names(in: directory).isEmpty, "the lock left a file behind")

        let child = try ReadyChild(Self.holdDirectory, [directory.string])
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.4) { child.kill() }
        let start = ContinuousClock.now
        let second = try DirectoryLock(directory)
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(300), "took the directory after \(waited), while the child held it")
        second.release()

        let missing = #expect(throws: SystemError.self) { _ = try DirectoryLock(scratch.filePath("absent")) }
        #expect(missing?.operation == "open" && missing?.errno == .noSuchFileOrDirectory)
    }
}

import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `AtomicFile` and `AtomicFileSet`: contents replaced whole by rename, never rewritten in place, and nothing left
/// behind whether it worked or not.
@Suite struct AtomicFileTests {
    /// A new file gets the contents and the permissions asked for; replacing it swaps in a new inode, so a reader
    /// holding the old file open (or a hard link to it) still sees the old contents whole — the rename semantics a
    /// crash-safe write depends on. No temp file is left beside it.
    @Test func replacementIsARenameOfAWholeNewFile() throws {
        let scratch = try TemporaryDirectory()
        let path = scratch.filePath("record")
        try AtomicFile.write(Array("first version\n".utf8), to: path)
        #expect(try readText(path) == "first version\n")
        let first = try #require(linkStatus(path))
        #expect(first.st_mode & 0o777 == 0o644)

        let reader = open(path.string, O_RDONLY)
        defer { close(reader) }
        #expect(link(path.string, scratch.filePath("old").string) == 0)
        let second = Array(repeating: Array("second, longer version\n".utf8), count: 1000).joined()
        try AtomicFile.write(Array(second), to: path, permissions: [.ownerReadWrite])

        #expect(try FileBytes.read(path) == Array(second))
        let replaced = try #require(linkStatus(path))
        #expect(replaced.st_ino != first.st_ino)
        #expect(replaced.st_mode & 0o777 == 0o600)
        #expect(try readText(scratch.filePath("old")) == "first version\n")
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(reader, &buffer, buffer.count)
        #expect(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self) == "first version\n")
        #expect(DirectoryListing.names(in: scratch.filePath).sorted() == ["old", "record"])
    }

    /// A reader polling the file while it is rewritten hundreds of times only ever sees one complete version.
    @Test func concurrentReadersSeeOneVersionOrTheOther() async throws {
        let scratch = try TemporaryDirectory()
        let path = scratch.filePath("record")
        let versions = (0..<2).map { index in Array(String(repeating: "\(index)", count: 100_000).utf8) }
        try AtomicFile.write(versions[0], to: path)
        let reader = Task.detached { () -> [Int] in
            var torn = [Int]()
            for _ in 0..<400 {
                let bytes = (try? FileBytes.read(path)) ?? []
                if bytes != versions[0] && bytes != versions[1] { torn.append(bytes.count) }
            }
            return torn
        }
        for round in 0..<200 { try AtomicFile.write(versions[(round + 1) % 2], to: path) }
        let torn = await reader.value
        #expect(torn.isEmpty, "read \(torn.count) torn versions, sizes \(torn.prefix(5))")
    }

    /// Failures name the file and leave nothing behind: a missing directory fails at the temp file; a directory in
    /// the way fails the rename (EISDIR), with the directory untouched and the temp file removed.
    @Test func failuresNameThePathAndLeaveNoTempFile() throws {
        let scratch = try TemporaryDirectory()
        let missing = #expect(throws: SystemError.self) {
            try AtomicFile.write([1, 2, 3], to: scratch.filePath("absent/record"))
        }
        #expect(missing?.errno == .noSuchFileOrDirectory)
        #expect(missing?.path.string.hasPrefix(scratch.filePath("absent/record.tmp-").string) == true, "\(String(describing: missing))")

        let occupied = scratch.filePath("record")
        try FileTree.makeDirectories(occupied.appending("inside"))
        let blocked = #expect(throws: SystemError.self) { try AtomicFile.write([1, 2, 3], to: occupied) }
        #expect(blocked?.operation == "rename into place")
        #expect(blocked?.path == occupied)
        #expect(blocked?.errno == .isDirectory)
        #expect(blocked?.description == "cannot rename into place '\(occupied)': Is a directory")
        #expect(DirectoryListing.names(in: scratch.filePath) == ["record"])
        #expect(DirectoryListing.names(in: occupied) == ["inside"])

        let notADirectory = #expect(throws: SystemError.self) { try AtomicFile.syncDirectory(scratch.filePath("nothing")) }
        #expect(notADirectory?.errno == .noSuchFileOrDirectory)
    }

    /// A set replaces every member (new ones created, old ones rewritten as new inodes, files outside the set
    /// untouched), in durable and non-durable mode alike, with no temp file or `-previous` link left.
    @Test(arguments: [true, false]) func aSetIsPublishedWhole(durable: Bool) throws {
        let scratch = try TemporaryDirectory()
        let directory = scratch.filePath
        try writeText("old a", to: directory.appending("a"))
        try writeText("unrelated", to: directory.appending("c"))
        let oldA = try #require(linkStatus(directory.appending("a")))
        let set = AtomicFileSet(directory: directory, durable: durable)
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try set.publish([("a", Array("new a".utf8)), ("b", big), ("empty", [])])

        #expect(try readText(directory.appending("a")) == "new a")
        #expect(try FileBytes.read(directory.appending("b")) == big)
        #expect(try FileBytes.read(directory.appending("empty")) == [])
        #expect(try readText(directory.appending("c")) == "unrelated")
        #expect(linkStatus(directory.appending("a"))?.st_ino != oldA.st_ino)
        #expect(linkStatus(directory.appending("b")).map { $0.st_mode & 0o777 } == 0o644 & ~currentUmask())
        #expect(DirectoryListing.names(in: directory).sorted() == ["a", "b", "c", "empty"])
    }

    /// When one member cannot be written (its subdirectory is missing) or its old file cannot be kept aside (a
    /// directory holds its name: no hard link to a directory), nothing is replaced: `.notPublished`, naming that
    /// member, with every other member's old contents intact and nothing left behind.
    @Test func aFailingMemberPublishesNothing() throws {
        let scratch = try TemporaryDirectory()
        let directory = scratch.filePath
        try writeText("old a", to: directory.appending("a"))
        try writeText("old b", to: directory.appending("b"))
        let set = AtomicFileSet(directory: directory)

        let unwritable = #expect(throws: AtomicFileSetError.self) {
            try set.publish([("a", Array("new a".utf8)), ("missing/x", [1]), ("b", Array("new b".utf8))])
        }
        guard case .notPublished(let writeError) = unwritable else {
            Issue.record("expected notPublished, got \(String(describing: unwritable))")
            return
        }
        #expect(writeError.operation == "create" && writeError.errno == .noSuchFileOrDirectory)
        #expect(writeError.path.string.hasPrefix(directory.appending("missing/x.kmodmgr-").string))
        #expect(unwritable?.description.hasSuffix("; the previous files are unchanged") == true)

        try FileTree.makeDirectories(directory.appending("d/inside"))
        let unlinkable = #expect(throws: AtomicFileSetError.self) {
            try set.publish([("a", Array("new a".utf8)), ("d", [1]), ("b", Array("new b".utf8))])
        }
        guard case .notPublished(let linkError) = unlinkable else {
            Issue.record("expected notPublished, got \(String(describing: unlinkable))")
            return
        }
        #expect(linkError.path == directory.appending("d"))

        #expect(try readText(directory.appending("a")) == "old a")
        #expect(try readText(directory.appending("b")) == "old b")
        #expect(DirectoryListing.names(in: directory).sorted() == ["a", "b", "d"])
        #expect(DirectoryListing.names(in: directory.appending("d")) == ["inside"])
    }

    /// Temp files and `-previous` links a killed run left for the members are removed before publishing; files of
    /// other names that merely look alike are not.
    @Test func abandonedTempFilesOfTheMembersAreRemoved() throws {
        let scratch = try TemporaryDirectory()
        let directory = scratch.filePath
        let leftovers = ["modules.dep.kmodmgr-99999-0.tmp", "modules.dep.kmodmgr-99999-previous", "modules.alias.kmodmgr-1-7.tmp"]
        let kept = ["other.kmodmgr-99999-0.tmp", "modules.dep.kmodmgr-note", "modules.dep.tmp"]
        for name in leftovers + kept { try writeText("junk", to: directory.appending(name)) }
        try AtomicFileSet(directory: directory).publish([("modules.dep", Array("dep".utf8)), ("modules.alias", Array("alias".utf8))])
        #expect(DirectoryListing.names(in: directory).sorted() == (kept + ["modules.alias", "modules.dep"]).sorted())
    }

    /// The process's umask, read without changing it (`umask(2)` would race with other tests creating files).
    private func currentUmask() -> mode_t {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") } ?? "Umask: 0022"
        return mode_t(line.split(separator: "\t").last.flatMap { UInt32($0.trimmingCharacters(in: .whitespaces), radix: 8) } ?? 0o022)
    }
}

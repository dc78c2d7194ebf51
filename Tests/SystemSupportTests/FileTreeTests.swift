import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `FileTree`, `DirectoryListing`, `FileBytes`, `MappedFile` and `ContentHash` on real files.
@Suite struct FileTreeTests {
    /// A small source tree: nested directories, modes with set-id and sticky bits, a symlink, a FIFO.
    static func makeTree(at root: FilePath) throws {
        try FileTree.makeDirectories(root.appending("src/sub"), mode: 0o750)
        try FileTree.makeDirectories(root.appending("tools"))
        try writeText("obj-m := a.o\n", to: root.appending("Makefile"))
        try writeText("int main;\n", to: root.appending("src/a.c"))
        try writeText("#!/bin/sh\n", to: root.appending("tools/run.sh"))
        try writeText("", to: root.appending("src/sub/empty"))
        chmod(root.appending("tools/run.sh").string, 0o4755)
        chmod(root.appending("src/sub/empty").string, 0o600)
        chmod(root.appending("tools").string, 0o1777)
        symlink("../Makefile", root.appending("src/link").string)
        mkfifo(root.appending("src/fifo").string, 0o644)
    }

    /// The walk lists a directory's entries in bytewise order, then descends into its subdirectories in that order
    /// (parents before children); it reports links without following them, keeps set-id and sticky bits and skips
    /// the FIFO.
    @Test func walkOrderKindsAndModes() throws {
        let scratch = try TemporaryDirectory()
        try Self.makeTree(at: scratch.filePath)
        let entries = try FileTree.walk(scratch.filePath)
        #expect(
            entries.map(\.relativePath) == [
                "Makefile", "src", "tools", "src/a.c", "src/link", "src/sub", "src/sub/empty", "tools/run.sh",
            ])
        let byPath = Dictionary(uniqueKeysWithValues: entries.map { ($0.relativePath, $0) })
        #expect(byPath["src"]?.kind == .directory && byPath["src"]?.mode == 0o750)
        #expect(byPath["tools"]?.mode == 0o1777)
        #expect(byPath["tools/run.sh"]?.kind == .regularFile && byPath["tools/run.sh"]?.mode == 0o4755)
        #expect(byPath["src/link"]?.kind == .symbolicLink && byPath["src/link"]?.linkTarget == "../Makefile")
        #expect(byPath["Makefile"]?.size == 13 && byPath["Makefile"]?.linkTarget == nil)
        #expect(byPath["src/a.c"]?.inode == linkStatus(scratch.filePath("src/a.c")).map { UInt64($0.st_ino) })

        let missing = #expect(throws: SystemError.self) { _ = try FileTree.walk(scratch.filePath("absent")) }
        #expect(missing?.errno == .noSuchFileOrDirectory)
    }

    /// A copy has the same entries, contents, modes and link targets (links copied, not followed); with an owner
    /// everything in it belongs to that owner; copying onto an existing path fails.
    @Test func copyKeepsModesLinksAndContents() throws {
        let scratch = try TemporaryDirectory()
        let source = scratch.filePath("source")
        try Self.makeTree(at: source)
        let copy = scratch.filePath("copy")
        try FileTree.copy(source, to: copy)
        let original = try FileTree.walk(source)
        let copied = try FileTree.walk(copy)
        #expect(copied.map(\.relativePath) == original.map(\.relativePath))
        #expect(copied.map(\.mode) == original.map(\.mode))
        #expect(copied.map(\.kind) == original.map(\.kind))
        #expect(copied.map(\.linkTarget) == original.map(\.linkTarget))
        for entry in original where entry.kind == .regularFile {
            #expect(
                try FileBytes.read(copy.appending(entry.relativePath)) == FileBytes.read(source.appending(entry.relativePath)),
                "\(entry.relativePath)")
        }
        #expect(try ContentHash.of(tree: copy) == ContentHash.of(tree: source))

        let exists = #expect(throws: SystemError.self) { try FileTree.copy(source, to: copy) }
        #expect(exists?.errno == .fileExists)

        if ProcessIdentity.canSwitchUser, let nobody = ProcessIdentity.account(named: "nobody") {
            let owned = scratch.filePath("owned")
            try FileTree.copy(source, to: owned, owner: nobody)
            for path in [owned] + (try FileTree.walk(owned)).map({ owned.appending($0.relativePath) }) {
                let info = try #require(linkStatus(path))
                #expect(info.st_uid == nobody.userID && info.st_gid == nobody.groupID, "\(path)")
            }
        }
    }

    /// `copyFile` gives the mode asked for whatever the umask; it refuses to overwrite.
    @Test func copyFileSetsTheMode() throws {
        let scratch = try TemporaryDirectory()
        try writeText("payload", to: scratch.filePath("a"))
        try FileTree.copyFile(scratch.filePath("a"), to: scratch.filePath("b"), mode: 0o777)
        #expect(linkStatus(scratch.filePath("b")).map { $0.st_mode & 0o7777 } == 0o777)
        #expect(try readText(scratch.filePath("b")) == "payload")
        #expect(throws: SystemError.self) { try FileTree.copyFile(scratch.filePath("a"), to: scratch.filePath("b")) }
        #expect(throws: SystemError.self) { try FileTree.copyFile(scratch.filePath("none"), to: scratch.filePath("c")) }
    }

    /// Removing a tree takes everything below it but never follows a link out of it; a missing path is fine.
    @Test func removeDoesNotFollowLinks() throws {
        let scratch = try TemporaryDirectory()
        let outside = scratch.filePath("outside")
        try FileTree.makeDirectories(outside)
        try writeText("keep me", to: outside.appending("precious"))
        let tree = scratch.filePath("tree")
        try Self.makeTree(at: tree)
        symlink(outside.string, tree.appending("src/sub/out").string)
        symlink(outside.appending("precious").string, tree.appending("direct").string)

        try FileTree.remove(tree)
        #expect(!FileTree.exists(tree))
        #expect(try readText(outside.appending("precious")) == "keep me")
        try FileTree.remove(tree)
        try FileTree.remove(scratch.filePath("never/was"))
    }

    /// `makeDirectories` is `mkdir -p`; `exists` does not follow links, `isDirectory` does; `readLink` is the
    /// target as written.
    @Test func directoriesExistenceAndLinks() throws {
        let scratch = try TemporaryDirectory()
        let deep = scratch.filePath("a/b/c")
        try FileTree.makeDirectories(deep, mode: 0o700)
        try FileTree.makeDirectories(deep)
        #expect(FileTree.isDirectory(deep))
        let intermediate = try #require(linkStatus(scratch.filePath("a/b")))
        #expect(intermediate.st_mode & 0o777 == 0o700)
        symlink("a/b", scratch.filePath("to-b").string)
        symlink("nowhere", scratch.filePath("dangling").string)
        #expect(FileTree.isDirectory(scratch.filePath("to-b")))
        #expect(FileTree.exists(scratch.filePath("dangling")) && !FileTree.isDirectory(scratch.filePath("dangling")))
        #expect(try FileTree.readLink(scratch.filePath("dangling")) == "nowhere")
        #expect(throws: SystemError.self) { _ = try FileTree.readLink(deep) }

        try writeText("x", to: scratch.filePath("file"))
        let blocked = #expect(throws: SystemError.self) { try FileTree.makeDirectories(scratch.filePath("file/sub")) }
        #expect(blocked?.errno == .notDirectory)
    }

    /// Listing: every name but `.` and `..`, with the kind `readdir` gives and, where asked, a `stat` that follows
    /// links; an unlistable directory is an error naming it.
    @Test func directoryListing() throws {
        let scratch = try TemporaryDirectory()
        try Self.makeTree(at: scratch.filePath)
        let entries = try #require(DirectoryListing.entries(in: scratch.filePath("src")))
        let kinds = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.kind) })
        #expect(kinds == ["a.c": .regularFile, "link": .symbolicLink, "sub": .directory, "fifo": .other])
        #expect(DirectoryListing.names(in: scratch.filePath("src")).sorted() == ["a.c", "fifo", "link", "sub"])

        let statted = try #require(DirectoryListing.entries(in: scratch.filePath("src")) { $0.kind == .symbolicLink })
        for (entry, status) in statted {
            if entry.name == "link" {
                #expect(status?.kind == .regularFile && status?.size == 13)
            } else {
                #expect(status == nil)
            }
        }
        #expect(DirectoryListing.entries(in: scratch.filePath("absent")) == nil)
        #expect(DirectoryListing.names(in: scratch.filePath("absent")) == [])
        let error = #expect(throws: SystemError.self) { try DirectoryListing.checkListable(scratch.filePath("Makefile")) }
        #expect(error?.operation == "open directory" && error?.errno == .notDirectory)
        try DirectoryListing.checkListable(scratch.filePath("src"))
    }

    /// Whole-file reads of empty, large and size-less (procfs) files; errors name the file and the operation.
    @Test func fileBytesReadsWholeFiles() throws {
        let scratch = try TemporaryDirectory()
        try writeText("", to: scratch.filePath("empty"))
        #expect(try FileBytes.read(scratch.filePath("empty")) == [])
        var generator = SeededGenerator(seed: 7)
        let large = (0..<3_000_001).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try TestSupport.write(large, to: scratch.url.appendingPathComponent("large"))
        #expect(try FileBytes.read(scratch.filePath("large")) == large)

        // procfs reports size 0: read until the end anyway.
        let maps = try FileBytes.read("/proc/self/maps")
        #expect(maps.count > 1000 && maps.last == UInt8(ascii: "\n"))

        let status = try FileBytes.status(scratch.filePath("large"))
        let info = try #require(linkStatus(scratch.filePath("large")))
        #expect(status.kind == .regularFile && status.size == 3_000_001 && status.inode == UInt64(info.st_ino))
        #expect(status.modificationNanoseconds == Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
        #expect(try FileBytes.status(scratch.filePath).kind == .directory)

        let missing = #expect(throws: SystemError.self) { _ = try FileBytes.read(scratch.filePath("none")) }
        #expect(missing == SystemError("open", path: scratch.filePath("none"), errno: .noSuchFileOrDirectory))
        let directory = #expect(throws: SystemError.self) { _ = try FileBytes.read(scratch.filePath) }
        #expect(directory == SystemError("read", path: scratch.filePath, errno: .isDirectory))
        #expect(throws: SystemError.self) { _ = try FileBytes.status(scratch.filePath("none")) }
    }

    /// A private mapping shows the file's bytes; writes to it never reach the file; directories and FIFOs are
    /// refused without blocking; an empty file maps as empty.
    @Test func mappedFilesArePrivate() throws {
        let scratch = try TemporaryDirectory()
        try Self.makeTree(at: scratch.filePath)
        let makefile = scratch.filePath("Makefile")
        let seen = try MappedFile.withMapping(makefile) { buffer -> [UInt8] in
            let bytes = Array(buffer)
            buffer[0] = UInt8(ascii: "X")
            return bytes
        }
        #expect(seen == Array("obj-m := a.o\n".utf8))
        #expect(try readText(makefile) == "obj-m := a.o\n")
        #expect(try MappedFile.withMapping(scratch.filePath("src/sub/empty")) { $0.count } == 0)
        let directory = #expect(throws: SystemError.self) { try MappedFile.withMapping(scratch.filePath("src")) { _ in } }
        #expect(directory?.errno == .isDirectory)
        let fifo = #expect(throws: SystemError.self) { try MappedFile.withMapping(scratch.filePath("src/fifo")) { _ in } }
        #expect(fifo?.errno == .invalidArgument)
    }

    /// Digests are `sha256sum`'s; a tree digest changes with any content, mode, name or link target, and not with a
    /// timestamp; a stamp changes when a file is rewritten, even with the same bytes, and not otherwise.
    @Test func contentHashesAndStamps() throws {
        let scratch = try TemporaryDirectory()
        let tree = scratch.filePath("tree")
        try Self.makeTree(at: tree)
        try FileTree.remove(tree.appending("src/fifo"))
        let sha256sum = try run("sha256sum", [tree.appending("Makefile").string]).standardOutput
        #expect(try ContentHash.of(file: tree.appending("Makefile")) == String(sha256sum.prefix(64)))
        #expect(ContentHash.of([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(ContentHash.of(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")

        let digest = try ContentHash.of(tree: tree)
        let stamp = ContentHash.stamp(tree: tree)
        #expect(try ContentHash.digestAndStamp(tree: tree) == (digest, stamp))
        #expect(ContentHash.stamp(tree: tree) == stamp)

        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, tree.appending("src/a.c").string, &times, 0)
        #expect(try ContentHash.of(tree: tree) == digest, "a timestamp changed the content digest")
        let touchedStamp = ContentHash.stamp(tree: tree)
        #expect(touchedStamp != stamp, "a timestamp did not change the stamp")

        var digests: Set = [digest]
        func changed(_ what: String, _ change: () throws -> Void) throws {
            try change()
            let new = try ContentHash.of(tree: tree)
            #expect(digests.insert(new).inserted, "\(what) did not change the tree digest")
        }
        try changed("a content change") { try writeText("int main(void);\n", to: tree.appending("src/a.c")) }
        try changed("a mode change") { chmod(tree.appending("src/a.c").string, 0o600) }
        try changed("a rename") { rename(tree.appending("src/a.c").string, tree.appending("src/b.c").string) }
        try changed("a link target") {
            unlink(tree.appending("src/link").string)
            symlink("../Makefile2", tree.appending("src/link").string)
        }
        try changed("an empty directory") { try FileTree.makeDirectories(tree.appending("new")) }
        #expect(ContentHash.stamp(tree: scratch.filePath("absent")) == "unreadable")
        #expect(throws: SystemError.self) { _ = try ContentHash.of(tree: scratch.filePath("absent")) }

        let names = ["Makefile", "gone"]
        let before = ContentHash.stamp(directory: tree, names: names)
        #expect(ContentHash.stamp(directory: tree, names: names) == before)
        try AtomicFile.write(Array("obj-m := a.o\n".utf8), to: tree.appending("Makefile"))
        #expect(ContentHash.stamp(directory: tree, names: names) != before, "a rewrite with the same bytes kept the stamp")

        let parts = [(name: "a", digest: "1"), (name: "b", digest: "2")]
        #expect(ContentHash.combining(parts) == ContentHash.of(Array("a=1\nb=2\n".utf8)))
        #expect(ContentHash.combining(parts) != ContentHash.combining(parts.reversed()))
    }
}

import Foundation
import StateStore
import SystemPackage
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `StateStore.leftovers`: what a killed command left in the state tree, and only that.
@Suite struct LeftoverTests {
    @Test func tempFilesPartialResultsScratchAndUnjournaledStagingAreFound() throws {
        let scratch = try Scratch()
        let store = scratch.store
        let tree = store.tree
        let kernel = tree.kernel("hello", "1.0", release: "6.1.0-1", arch: "x86_64")
        let journal = Journal(
            transaction: "20260101T000000Z-1-1", action: .install, package: "hello", version: "1.0", release: "6.1.0-1",
            arch: "x86_64", steps: [])
        try store.begin(journal)
        try FileTree.makeDirectories(tree.staging(journal.transaction))
        try FileTree.makeDirectories(tree.staging("20260101T000000Z-2-1").appending("strip"))
        try FileTree.makeDirectories(tree.scratchBuild("hello", "1.0", release: "6.1.0-1", arch: "x86_64"))
        try FileTree.makeDirectories(kernel.appending("20260101T000000Z-3.partial/module"))
        try FileTree.makeDirectories(kernel.appending("20260101T000000Z-3/module"))
        for file in [
            tree.journal("20260102T000000Z-4-1.tmp-4"), tree.reindexMarker(release: "6.1.0-2.tmp-5"),
            kernel.appending("installed.tmp-6"), kernel.appending("displaced/kernel/drivers/net/dummy.ko.tmp-7"),
            kernel.appending("notes.tmp-8x"), kernel.appending("record.tmp-9"),
        ] {
            try scratch.write("x", to: file)
        }
        // The source link is not followed: a temp-looking name behind it is not the state tree's.
        let elsewhere = try TemporaryDirectory()
        try writeText("x", to: FilePath(elsewhere.url.path).appending("inside.tmp-10"))
        #expect(symlink(elsewhere.url.path, tree.sourceLink("hello", "1.0").string) == 0)

        // Pid 9 is taken for a live kmodmgr here: its temp stays.
        let found = store.leftovers { $0.pid != 9 }
        let relative = found.map { String($0.path.string.dropFirst(tree.directory.string.count + 1)) + ($0.isDirectory ? "/" : "") }
        #expect(
            Set(relative) == [
                ".build/6.1.0-1/", ".stage/20260101T000000Z-2-1/", ".journal/20260102T000000Z-4-1.tmp-4", ".reindex/6.1.0-2.tmp-5",
                "hello/1.0/6.1.0-1/x86_64/installed.tmp-6", "hello/1.0/6.1.0-1/x86_64/displaced/kernel/drivers/net/dummy.ko.tmp-7",
                "hello/1.0/6.1.0-1/x86_64/20260101T000000Z-3.partial/",
            ])
        #expect(found.count == relative.count)
        // Temp names are never journals or markers, and the scratch copy is unfinished work.
        #expect(try store.journals() == [journal])
        #expect(store.releasesToReindex() == ["6.1.0-1"])
        #expect(store.hasUnfinishedWork)
    }
}

private func writeText(_ text: String, to path: FilePath) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path.string))
}

import Foundation
import StateStore
import SystemPackage
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Install records, journals and re-index markers: what makes installs and uninstalls crash-safe.
@Suite struct TransactionRecordTests {
    static let release = "6.1.0-57-amd64"

    static func journal(_ transaction: String, action: Journal.Action = .install) -> Journal {
        Journal(
            transaction: transaction, action: action, package: "hello", version: "1.0", release: release, arch: "x86_64",
            steps: [
                .makeDirectory("/lib/modules/\(release)/updates/kmodmgr"),
                .displace(
                    original: "/lib/modules/\(release)/kernel/fs/fat/vfat.ko",
                    backup: "/var/lib/kmodmgr/hello/1.0/\(release)/x86_64/displaced/kernel/fs/fat/vfat.ko", digest: "aa"),
                .place(
                    staged: "/var/lib/kmodmgr/.stage/\(transaction)/hello.ko",
                    destination: "/lib/modules/\(release)/updates/kmodmgr/hello.ko", digest: "bb"),
                .remove(destination: "/lib/modules/\(release)/updates/kmodmgr/old.ko", digest: "cc"),
                .restore(backup: "/var/lib/kmodmgr/b.ko", original: "/lib/modules/\(release)/kernel/b.ko", digest: "dd"),
                .removeDirectory("/lib/modules/\(release)/updates/kmodmgr"),
            ])
    }

    /// `begin` makes the kernel's re-index marker and the journal durable; `journals()` reads every step back,
    /// oldest transaction first, ignoring temp files; `finish` drops the journal and its staging directory.
    @Test func journalsAreWrittenReadAndFinished() throws {
        let scratch = try Scratch()
        let store = scratch.store
        #expect(!store.hasUnfinishedWork)
        let later = Self.journal("20260102T000000Z-2", action: .uninstall)
        let earlier = Self.journal("20260101T000000Z-1")
        try store.begin(later)
        try store.begin(earlier)
        try scratch.write("garbage without equals", to: store.tree.journal("20260103T000000Z-3.tmp-999"))
        #expect(try store.journals() == [earlier, later])
        #expect(store.releasesToReindex() == [Self.release])
        #expect(store.hasUnfinishedWork)
        #expect(
            try scratch.text(store.tree.journal(earlier.transaction)).hasPrefix(
                "transaction=20260101T000000Z-1\naction=install\npackage=hello\n"))

        try FileTree.makeDirectories(store.tree.staging(earlier.transaction).appending("sub"))
        try scratch.write("module", to: store.tree.staging(earlier.transaction).appending("sub/hello.ko"))
        try FileTree.makeDirectories(store.tree.staging("20260100T000000Z-0"))
        #expect(store.orphanedStaging() == [store.tree.staging("20260100T000000Z-0")])

        try store.finish(earlier)
        #expect(!FileTree.exists(store.tree.staging(earlier.transaction)))
        #expect(try store.journals() == [later])
        try store.finish(later)
        try store.finish(later)
        #expect(try store.journals() == [])
        #expect(store.hasUnfinishedWork, "the re-index marker and a staging directory are still there")
        try store.clearReindex(release: Self.release)
        try store.clearReindex(release: Self.release)
        try FileTree.remove(store.tree.staging("20260100T000000Z-0"))
        try FileTree.remove(store.tree.journal("20260103T000000Z-3.tmp-999"))
        #expect(!store.hasUnfinishedWork)
        #expect(store.releasesToReindex() == [])
    }

    /// A journal with an unknown action, a step with the wrong number of fields or a missing key fails with a typed
    /// error naming the file (and the line for a step).
    @Test func brokenJournalsNameTheFile() throws {
        let scratch = try Scratch()
        let store = scratch.store
        let file = store.tree.journal("t")
        let header = "transaction=t\npackage=hello\nversion=1.0\nkernel=6.1.0-1\narch=x86_64\n"

        try scratch.write("action=explode\n" + header, to: file)
        let action = #expect(throws: StateError.self) { _ = try store.journals() }
        guard case .malformedRecord(let actionFile, _, let reason) = action else {
            Issue.record("expected malformedRecord, got \(String(describing: action))")
            return
        }
        #expect(actionFile == file.string && reason == "unknown action 'explode'")

        try scratch.write("action=install\n" + header + "place=/only/two fields\n", to: file)
        let step = #expect(throws: StateError.self) { _ = try store.journals() }
        #expect(step?.description == "\(file):7: 'place' needs 3 fields")

        try scratch.write("action=install\ntransaction=t\npackage=hello\nversion=1.0\narch=x86_64\n", to: file)
        let missing = #expect(throws: StateError.self) { _ = try store.journals() }
        guard case .missingField(let missingFile, let key) = missing else {
            Issue.record("expected missingField, got \(String(describing: missing))")
            return
        }
        #expect(missingFile == file.string && key == "kernel")
    }

    /// The install record round-trips every list and flag; removing it is the uninstall's commit point; a module
    /// line with the wrong number of fields is an error naming the file.
    @Test func installRecordsRoundTrip() throws {
        let scratch = try Scratch()
        let store = scratch.store
        var record = InstallRecord(
            transaction: "20260101T000000Z-1", build: "20251231T000000Z-9", time: 1_767_225_600, compression: "xz",
            modules: [
                InstalledModule(name: "hello", path: "/lib/modules/\(Self.release)/updates/kmodmgr/hello.ko.xz", digest: "aa"),
                InstalledModule(name: "vfat", path: "/lib/modules/\(Self.release)/updates/kmodmgr/vfat.ko.xz", digest: "bb"),
            ],
            displaced: [
                DisplacedModule(
                    name: "vfat", original: "/lib/modules/\(Self.release)/kernel/fs/fat/vfat.ko",
                    backup: "/var/lib/kmodmgr/hello/1.0/\(Self.release)/x86_64/displaced/kernel/fs/fat/vfat.ko", digest: "cc")
            ],
            overridden: [OverriddenModule(name: "hello", path: "/lib/modules/\(Self.release)/extra/hello.ko")],
            createdDirectories: ["/lib/modules/\(Self.release)/updates", "/lib/modules/\(Self.release)/updates/kmodmgr"])
        record.forcedProblems = ["hello: disagrees about version of symbol x", "second: reason\nwith a newline"]
        record.bootCritical = true
        #expect(try store.installed("hello", "1.0", release: Self.release, arch: "x86_64") == nil)
        try store.commitInstall(record, "hello", "1.0", release: Self.release, arch: "x86_64")
        #expect(try store.installed("hello", "1.0", release: Self.release, arch: "x86_64") == record)

        var plain = record
        plain.forcedProblems = []
        plain.bootCritical = false
        try store.commitInstall(plain, "hello", "1.0", release: Self.release, arch: "x86_64")
        #expect(try store.installed("hello", "1.0", release: Self.release, arch: "x86_64") == plain)

        try store.removeInstallRecord("hello", "1.0", release: Self.release, arch: "x86_64")
        try store.removeInstallRecord("hello", "1.0", release: Self.release, arch: "x86_64")
        #expect(try store.installed("hello", "1.0", release: Self.release, arch: "x86_64") == nil)

        let file = store.tree.installRecord("hello", "1.0", release: Self.release, arch: "x86_64")
        try scratch.write("transaction=t\nbuild=b\nmodule=hello /lib/modules/x/hello.ko\n", to: file)
        let error = #expect(throws: StateError.self) { _ = try store.installed("hello", "1.0", release: Self.release, arch: "x86_64") }
        guard case .malformedRecord(let badFile, _, let reason) = error else {
            Issue.record("expected malformedRecord, got \(String(describing: error))")
            return
        }
        #expect(badFile == file.string && reason.contains("needs 3 fields"))
    }

    /// `forgetKernel` removes the kernel's headers digest, build scratch tree and initramfs log — and nothing of
    /// another kernel's.
    @Test func forgettingAKernel() throws {
        let scratch = try Scratch()
        let store = scratch.store
        let tree = store.tree
        for release in ["6.1.0-56-amd64", Self.release] {
            try scratch.write("STAMP SHA", to: tree.kernelDigests.appending(release))
            try scratch.write("log", to: tree.scratchBuild("hello", "1.0", release: release, arch: "x86_64").appending("Makefile"))
            try scratch.write("log", to: tree.initramfsLog(release: release))
        }
        try store.forgetKernel(release: Self.release)
        try store.forgetKernel(release: Self.release)
        #expect(!FileTree.exists(tree.kernelDigests.appending(Self.release)))
        #expect(!FileTree.exists(tree.scratchTree(release: Self.release, arch: "x86_64")))
        #expect(!FileTree.exists(tree.initramfsLog(release: Self.release)))
        #expect(FileTree.exists(tree.kernelDigests.appending("6.1.0-56-amd64")))
        #expect(FileTree.exists(tree.scratchBuild("hello", "1.0", release: "6.1.0-56-amd64", arch: "x86_64")))
        #expect(FileTree.exists(tree.initramfsLog(release: "6.1.0-56-amd64")))
    }
}

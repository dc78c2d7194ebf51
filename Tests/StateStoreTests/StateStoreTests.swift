import Foundation
import StateStore
import Synchronization
import SystemPackage
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A state tree in a fresh temporary root.
struct Scratch {
    let directory: TemporaryDirectory
    let root: Root
    let store: StateStore

    init() throws {
        directory = try TemporaryDirectory()
        root = Root(FilePath(directory.url.path))
        store = StateStore(root: root)
    }

    var state: FilePath { store.tree.directory }

    func text(_ path: FilePath) throws -> String {
        String(decoding: try FileBytes.read(path), as: UTF8.self)
    }

    func write(_ text: String, to path: FilePath) throws {
        try FileTree.makeDirectories(path.removingLastComponent())
        try AtomicFile.write(Array(text.utf8), to: path)
    }

    /// Every name under the state tree, relative, for "nothing else was left" checks.
    func allPaths() throws -> [String] {
        try FileTree.walk(state).map(\.relativePath).sorted()
    }
}

/// `StateTree`: the documented layout, as pure paths.
@Suite struct StateTreeTests {
    @Test func pathsFollowTheDocumentedLayout() {
        let tree = StateTree(root: Root("/srv/image"))
        let base = "/srv/image/var/lib/kmodmgr"
        let kernel = "\(base)/hello/1.0/6.1.0-57-amd64/x86_64"
        let expected: [(FilePath, String)] = [
            (tree.directory, base),
            (tree.lockFile, "\(base)/.lock"),
            (tree.journals, "\(base)/.journal"),
            (tree.journal("20260101T000000Z-1"), "\(base)/.journal/20260101T000000Z-1"),
            (tree.reindexMarker(release: "6.1.0-57-amd64"), "\(base)/.reindex/6.1.0-57-amd64"),
            (tree.staging("t1"), "\(base)/.stage/t1"),
            (tree.package("hello", "1.0"), "\(base)/hello/1.0"),
            (tree.packageRecord("hello", "1.0"), "\(base)/hello/1.0/package"),
            (tree.sourceLink("hello", "1.0"), "\(base)/hello/1.0/source"),
            (tree.packageLog("hello", "1.0", script: "post-add"), "\(base)/hello/1.0/log/post-add.log"),
            (tree.kernel("hello", "1.0", release: "6.1.0-57-amd64", arch: "x86_64"), kernel),
            (tree.buildRecord("hello", "1.0", release: "6.1.0-57-amd64", arch: "x86_64"), "\(kernel)/record"),
            (tree.result("hello", "1.0", release: "6.1.0-57-amd64", arch: "x86_64", build: "B"), "\(kernel)/B"),
            (
                tree.builtModule("hello", "1.0", release: "6.1.0-57-amd64", arch: "x86_64", build: "B", module: "extra/hello"),
                "\(kernel)/B/module/extra/hello.ko"
            ),
            (tree.manifest("hello", "1.0", release: "6.1.0-57-amd64", arch: "x86_64", build: "B"), "\(kernel)/B/manifest.json"),
            (tree.log("hello", "1.0", release: "6.1.0-57-amd64", arch: "x86_64", build: "B"), "\(kernel)/log/B.log"),
            (tree.installRecord("hello", "1.0", release: "6.1.0-57-amd64", arch: "x86_64"), "\(kernel)/installed"),
            (
                tree.displacedBackup("hello", "1.0", release: "6.1.0-57-amd64", arch: "x86_64", relativePath: "kernel/fs/x.ko"),
                "\(kernel)/displaced/kernel/fs/x.ko"
            ),
            (tree.scratchTree(release: "6.1.0-57-amd64", arch: "x86_64"), "\(base)/.build/6.1.0-57-amd64/x86_64"),
            (
                tree.scratchBuild("hello", "1.0", release: "6.1.0-57-amd64", arch: "x86_64"),
                "\(base)/.build/6.1.0-57-amd64/x86_64/hello/1.0/build"
            ),
            (tree.kernelDigests, "\(base)/.kernels"),
            (tree.initramfsLog(release: "6.1.0-57-amd64"), "\(base)/.initramfs/6.1.0-57-amd64.log"),
        ]
        for (path, text) in expected { #expect(path.string == text) }
        #expect(StateTree(root: .system).directory == "/var/lib/kmodmgr")
        #expect(StateStore(root: Root("/srv/image")).tree == tree)
    }
}

/// `RecordFormat`: `key=value` lines that survive any value.
@Suite struct RecordFormatTests {
    /// Values with newlines, backslashes, `=`, spaces, non-ASCII text and nothing at all come back as written,
    /// each on one line, in order, with repeated keys kept.
    @Test func valuesRoundTrip() throws {
        let values = [
            "plain", "two\nlines", "back\\slash", "\\n is not a newline", "trailing\\", "key=value=more", "  spaced  ", "",
            "ünïcødé ✓", "\n\n", "tab\there",
        ]
        var record = RecordFormat()
        for value in values { record.append("v", value) }
        record.appendIfPresent("absent", nil)
        record.appendIfPresent("present", "yes")
        let bytes = record.bytes
        #expect(bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count == values.count + 2)
        let parsed = try RecordFormat.parse(bytes, file: "/x")
        #expect(parsed == record)
        #expect(parsed.values("v") == values)
        #expect(parsed.value("v") == "plain")
        #expect(parsed.value("absent") == nil)
        #expect(parsed.value("present") == "yes")
        #expect(String(decoding: bytes.prefix(35), as: UTF8.self) == "v=plain\nv=two\\nlines\nv=back\\\\slash\n")
    }

    /// A carriage return before a newline is a value's line break too: Swift sees `\r\n` as one Character, and the
    /// escaping, which compared Characters with "\n", missed it (found by this test; it works on scalars now).
    @Test func aCRLFInAValueRoundTrips() throws {
        var record = RecordFormat()
        record.append("reason", "line one\r\nline two")
        let parsed = try RecordFormat.parse(record.bytes, file: "/x")
        #expect(parsed.value("reason") == "line one\r\nline two")
    }

    /// Blank lines are skipped; a line without `=` is an error naming the file and the line number.
    @Test func malformedLinesAreReportedWithTheirNumber() throws {
        let parsed = try RecordFormat.parse(Array("a=1\n\nb=\n=empty key\n".utf8), file: "/x")
        #expect(parsed.fields.map(\.key) == ["a", "b", ""] && parsed.fields.map(\.value) == ["1", "", "empty key"])
        let error = #expect(throws: StateError.self) {
            _ = try RecordFormat.parse(Array("a=1\nb=2\nno equals sign\n".utf8), file: "/state/record")
        }
        guard case .malformedRecord(let file, let line, _) = error else {
            Issue.record("expected malformedRecord, got \(String(describing: error))")
            return
        }
        #expect(file == "/state/record" && line == 3)
        #expect(error?.description == "/state/record:3: expected key=value")
    }
}

/// `StateStore` on a real state tree: packages, builds, the lock, and atomic commits.
@Suite struct StateStoreTests {
    static func buildRecord(_ build: String, state: BuildState = .built, reason: String? = nil) -> BuildRecord {
        var record = BuildRecord(
            state: state, build: build, time: 1_700_000_000, elapsedSeconds: 12.5, reason: reason, sourceDigest: "s" + build,
            manifestDigest: "m", headersDigest: "h",
            modules: [BuiltModule(name: "hello", digest: "d1"), BuiltModule(name: "extra/x", digest: "d2")],
            evaluation: "shell")
        record.sourceStamp = "ss"
        record.headersStamp = "hs"
        return record
    }

    /// Registering writes the record and the `source` link; reading gives it back; unregistering removes it all,
    /// the name directory included once empty.
    @Test func packagesRegisterReadAndUnregister() throws {
        let scratch = try Scratch()
        let store = scratch.store
        let package = PackageRecord(name: "hello", version: "1.0", source: "/usr/src/hello-1.0", added: 1_700_000_000)
        try store.register(package)
        #expect(try store.package("hello", "1.0") == package)
        #expect(try FileTree.readLink(store.tree.sourceLink("hello", "1.0")) == "/usr/src/hello-1.0")
        #expect(
            try scratch.text(store.tree.packageRecord("hello", "1.0"))
                == "name=hello\nversion=1.0\nsource=/usr/src/hello-1.0\nadded=1700000000\n")
        try store.register(PackageRecord(name: "hello", version: "1.0", source: "/usr/src/moved", added: 1))
        #expect(try FileTree.readLink(store.tree.sourceLink("hello", "1.0")) == "/usr/src/moved")
        #expect(try store.package("hello", "2.0") == nil)

        try store.register(PackageRecord(name: "hello", version: "2.0", source: "/usr/src/hello-2.0", added: 2))
        try store.unregister("hello", "1.0")
        #expect(try store.package("hello", "1.0") == nil)
        #expect(!FileTree.exists(store.tree.package("hello", "1.0")))
        #expect(FileTree.exists(store.tree.package("hello", "2.0")))
        try store.unregister("hello", "2.0")
        #expect(!FileTree.exists(scratch.state.appending("hello")))
        try store.unregister("never", "was")
    }

    /// Packages are listed by name, then in version order (1.9 before 1.10); hidden directories and version
    /// directories without a record (leftovers of an interrupted unregister) are not listed.
    @Test func packagesAreListedInOrder() throws {
        let scratch = try Scratch()
        let store = scratch.store
        for (name, version) in [("zeta", "1.10"), ("alpha", "2.0"), ("zeta", "1.9"), ("zeta", "1.2"), ("mid", "0.1")] {
            try store.register(PackageRecord(name: name, version: version, source: "/usr/src/\(name)-\(version)", added: 0))
        }
        try FileTree.makeDirectories(store.tree.package("zeta", "3.0"))
        try FileTree.makeDirectories(scratch.state.appending(".journal"))
        let lock = try store.lock(contention: .fail) { _ in }
        lock.release()
        let listed = store.packages().map { "\($0.name)/\($0.version)" }
        #expect(listed == ["alpha/2.0", "mid/0.1", "zeta/1.2", "zeta/1.9", "zeta/1.10"])
    }

    /// Hand-edited records fail with typed errors naming the file and the key.
    @Test func brokenRecordsNameTheFileAndKey() throws {
        let scratch = try Scratch()
        let store = scratch.store
        let packageFile = store.tree.packageRecord("hello", "1.0")
        try scratch.write("name=hello\nversion=1.0\nadded=5\n", to: packageFile)
        let missing = #expect(throws: StateError.self) { _ = try store.package("hello", "1.0") }
        guard case .missingField(let file, let key) = missing else {
            Issue.record("expected missingField, got \(String(describing: missing))")
            return
        }
        #expect(file == packageFile.string && key == "source")
        #expect(missing?.description == "\(packageFile): no 'source' entry")

        let buildFile = store.tree.buildRecord("hello", "1.0", release: "6.1.0-1", arch: "x86_64")
        try scratch.write("state=exploded\nbuild=B\n", to: buildFile)
        let unknown = #expect(throws: StateError.self) { _ = try store.build("hello", "1.0", release: "6.1.0-1", arch: "x86_64") }
        guard case .malformedRecord(let badFile, _, let reason) = unknown else {
            Issue.record("expected malformedRecord, got \(String(describing: unknown))")
            return
        }
        #expect(badFile == buildFile.string && reason.contains("exploded"))

        try scratch.write("state=built\nbuild=B\nmodule=only-a-name\n", to: buildFile)
        let module = #expect(throws: StateError.self) { _ = try store.build("hello", "1.0", release: "6.1.0-1", arch: "x86_64") }
        #expect(module?.description.contains("only-a-name") == true, "\(String(describing: module))")

        try scratch.write("state=built\n", to: buildFile)
        let noBuild = #expect(throws: StateError.self) { _ = try store.build("hello", "1.0", release: "6.1.0-1", arch: "x86_64") }
        #expect(noBuild?.description == "\(buildFile): no 'build' entry")

        // A record that cannot be read (a directory in its place) is a system error, not "absent".
        try FileTree.makeDirectories(store.tree.packageRecord("other", "1.0"))
        let unreadable = #expect(throws: StateError.self) { _ = try store.package("other", "1.0") }
        guard case .system(let error) = unreadable else {
            Issue.record("expected a system error, got \(String(describing: unreadable))")
            return
        }
        #expect(error.errno == .isDirectory)
    }

    /// A build record round-trips (reason with a newline and a backslash included); committing a new build removes
    /// the previous build's result directory but keeps the logs; kernels are listed in version order, only those with
    /// a record; discarding removes the kernel's files and its empty release directory.
    @Test func buildsCommitListAndDiscard() throws {
        let scratch = try Scratch()
        let store = scratch.store
        let tree = store.tree
        let first = StateStoreTests.buildRecord("20260101T000000Z-10", state: .failed, reason: "make: *** [all] Error 2\nsee C:\\log")
        try FileTree.makeDirectories(tree.result("hello", "1.0", release: "6.1.0-9", arch: "x86_64", build: first.build))
        try scratch.write("log one", to: tree.log("hello", "1.0", release: "6.1.0-9", arch: "x86_64", build: first.build))
        try store.commit(first, "hello", "1.0", release: "6.1.0-9", arch: "x86_64")
        #expect(try store.build("hello", "1.0", release: "6.1.0-9", arch: "x86_64") == first)

        let second = StateStoreTests.buildRecord("20260102T000000Z-11")
        try FileTree.makeDirectories(tree.result("hello", "1.0", release: "6.1.0-9", arch: "x86_64", build: second.build))
        try store.commit(second, "hello", "1.0", release: "6.1.0-9", arch: "x86_64")
        #expect(try store.build("hello", "1.0", release: "6.1.0-9", arch: "x86_64") == second)
        let kernel = tree.kernel("hello", "1.0", release: "6.1.0-9", arch: "x86_64")
        #expect(DirectoryListing.names(in: kernel).sorted() == ["20260102T000000Z-11", "log", "record"])
        #expect(DirectoryListing.names(in: kernel.appending("log")) == ["20260101T000000Z-10.log"])

        for (release, arch) in [("6.1.0-10", "x86_64"), ("6.1.0-10", "aarch64"), ("5.10.0-28", "x86_64")] {
            try store.commit(StateStoreTests.buildRecord("20260103T000000Z-12"), "hello", "1.0", release: release, arch: arch)
        }
        try FileTree.makeDirectories(tree.kernel("hello", "1.0", release: "6.1.0-11", arch: "x86_64"))  // no record
        let kernels = store.kernels("hello", "1.0").map { "\($0.release)/\($0.arch)" }
        #expect(kernels == ["5.10.0-28/x86_64", "6.1.0-9/x86_64", "6.1.0-10/aarch64", "6.1.0-10/x86_64"])

        try store.discard("hello", "1.0", release: "6.1.0-9", arch: "x86_64")
        #expect(!FileTree.exists(tree.package("hello", "1.0").appending("6.1.0-9")))
        try store.discard("hello", "1.0", release: "6.1.0-10", arch: "x86_64")
        #expect(DirectoryListing.names(in: tree.package("hello", "1.0").appending("6.1.0-10")) == ["aarch64"])
        #expect(try store.build("hello", "1.0", release: "6.1.0-9", arch: "x86_64") == nil)
    }

    /// Build identifiers are the UTC time and the pid, sortable.
    @Test func buildIdentifiers() {
        #expect(StateStore.newBuildIdentifier(now: 0) == "19700101T000000Z-\(getpid())")
        #expect(StateStore.newBuildIdentifier(now: 1_700_000_000) == "20231114T221320Z-\(getpid())")
        #expect(StateStore.newBuildIdentifier(now: 1_700_000_000) < StateStore.newBuildIdentifier(now: 1_700_000_001))
    }

    /// A reader polling a build record while it is committed hundreds of times sees one whole record or the
    /// other — never a torn one, never an error — and no temp file is left.
    @Test func commitsAreAtomic() async throws {
        let scratch = try Scratch()
        let store = scratch.store
        let old = StateStoreTests.buildRecord("20260101T000000Z-1", state: .failed, reason: String(repeating: "old ", count: 20_000))
        let new = StateStoreTests.buildRecord("20260101T000000Z-1", state: .built, reason: String(repeating: "new ", count: 20_000))
        try store.commit(old, "hello", "1.0", release: "6.1.0-1", arch: "x86_64")
        let reader = Task.detached { () -> [String] in
            var problems = [String]()
            for _ in 0..<300 {
                do {
                    let seen = try store.build("hello", "1.0", release: "6.1.0-1", arch: "x86_64")
                    if seen != old && seen != new { problems.append("torn: \(seen?.reason?.count ?? -1) characters") }
                } catch {
                    problems.append("\(error)")
                }
            }
            return problems
        }
        for round in 0..<150 { try store.commit(round % 2 == 0 ? new : old, "hello", "1.0", release: "6.1.0-1", arch: "x86_64") }
        let problems = await reader.value
        #expect(problems.isEmpty, "\(problems.count) bad reads, e.g. \(problems.prefix(3))")
        #expect(
            try scratch.allPaths() == [
                "hello", "hello/1.0", "hello/1.0/6.1.0-1", "hello/1.0/6.1.0-1/x86_64", "hello/1.0/6.1.0-1/x86_64/record",
            ])
    }

    /// The lock creates the state directory, refuses a second holder with `.fail` naming the holder's pid, makes
    /// a `.wait` caller wait (telling it the pid) until the holder lets go, and is free again afterwards.
    @Test func theLockHasOneHolder() async throws {
        let scratch = try Scratch()
        let store = scratch.store
        #expect(!FileTree.exists(scratch.state))
        let held = try store.lock(contention: .fail) { _ in Issue.record("a free lock was waited for") }
        #expect(FileTree.isDirectory(scratch.state))
        #expect(try scratch.text(store.tree.lockFile) == "\(getpid())\n")
        let refused = #expect(throws: LockError.self) { _ = try store.lock(contention: .fail) { _ in } }
        guard case .busy(let path, let holder) = refused else {
            Issue.record("expected busy, got \(String(describing: refused))")
            return
        }
        #expect(path == store.tree.lockFile && holder == getpid())

        let heard = Heard()
        let acquired = DispatchSemaphore(value: 0)
        let waiter = Thread {
            do {
                let lock = try store.lock(contention: .wait) { holder in heard.pids.withLock { $0.append(holder) } }
                acquired.signal()
                lock.release()
            } catch {
                Issue.record("waiting for the lock failed: \(error)")
                acquired.signal()
            }
        }
        waiter.start()
        #expect(acquired.wait(timeout: .now() + 0.5) == .timedOut, "the waiter took a held lock")
        #expect(heard.pids.withLock { $0 } == [getpid()])
        held.release()
        #expect(acquired.wait(timeout: .now() + 10) == .success, "the waiter never got the released lock")
    }
}

/// The holders a waiter was told about, shared with its thread.
final class Heard: Sendable {
    let pids = Mutex<[Int32?]>([])
}

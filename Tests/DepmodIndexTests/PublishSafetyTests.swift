import DepmodIndex
import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// Publishing (`GeneratedIndex.publish`, `AtomicFileSet`): the ten files and the cache reach the module directory
/// all together or not at all, so a failed run never leaves an index that mixes two runs; and the command-line
/// edges around it — errors, `-n`, explicit files — behave as depmod's do.
@Suite struct PublishSafetyTests {
    /// One output name made impossible to replace — a non-empty *directory* under that name, which `rename(2)` of
    /// a file cannot replace (EISDIR) even as root — while the tree changed since the last run, so every new file
    /// differs from the old one. The run must fail with `DepmodError.publish` naming that path, every file the
    /// previous run wrote must be byte-identical, and no temp file may remain. The names cover the first file
    /// renamed, and two in the middle and end of the ten.
    @Test(arguments: ["modules.dep", "modules.symbols", "modules.devname"])
    func unreplaceableTargetLeavesThePreviousIndex(_ blocked: String) throws {
        let tree = try Self.smallTree()
        try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
        let directory = tree.ourModuleDirectory
        try Self.block(directory.appendingPathComponent(blocked))
        let before = try DepmodOracle.snapshot(directory)
        try tree.modify(Self.addModuleChangingEveryFile)

        do {
            try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
            Issue.record("published although \(blocked) is a directory")
        } catch {
            guard case .publish(let failure) = error else { throw error }
            #expect(failure.path.string == directory.appendingPathComponent(blocked).path, "\(failure)")
        }
        let after = try DepmodOracle.snapshot(directory)
        let replaced = before.keys.filter { before[$0] != after[$0] }.sorted()
        #expect(replaced.isEmpty, "a failed publish replaced \(replaced) (blocked: \(blocked))")
        #expect(Set(after.keys) == Set(before.keys), "files appeared or vanished: \(Set(after.keys).symmetricDifference(before.keys))")
        #expect(temporaryFiles(in: directory).isEmpty, "left behind: \(temporaryFiles(in: directory))")
    }

    /// The parse cache only saves time: when it cannot be replaced, the index is still published (it is a set of
    /// its own) and the failure is a warning, not an error.
    @Test func unwritableCacheStillPublishesTheIndex() throws {
        let tree = try Self.smallTree()
        try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
        let directory = tree.ourModuleDirectory
        try Self.block(directory.appendingPathComponent("modules.kmodmgr-cache.bin"))
        let before = try DepmodOracle.snapshot(directory)
        try tree.modify(Self.addModuleChangingEveryFile)

        let sink = CollectingDiagnosticSink()
        try Depmod.run(tree.request, sink: sink)
        let after = try DepmodOracle.snapshot(directory)
        let replaced = Set(before.keys.filter { before[$0] != after[$0] })
        // Everything the new module changes: all but the two built-in indexes, which no module affects.
        let builtin: Set = [IndexFile.builtinBin.fileName, IndexFile.builtinAliasBin.fileName]
        #expect(replaced == Set(IndexFile.allCases.map(\.fileName)).subtracting(builtin), "replaced: \(replaced.sorted())")
        #expect(sink.diagnostics.contains { $0.severity == .warning && $0.message.contains("parse cache was not written") })
        #expect(temporaryFiles(in: directory).isEmpty, "left behind: \(temporaryFiles(in: directory))")
    }

    /// A full filesystem (a 4 MiB tmpfs filled to the last page after a first run): writing the new files fails
    /// with ENOSPC, and the previous index and cache are untouched, with no temp file left to eat space.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func fullFilesystemLeavesThePreviousIndex() throws {
        let scratch = try TemporaryDirectory()
        let mountPoint = scratch.path("tmpfs")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mounted = try run("mount", ["-t", "tmpfs", "-o", "size=4m", "kmodmgr-test", mountPoint.path])
        try #require(mounted.status == 0, "mount: \(mounted.standardError)")
        defer {
            let unmounted = try? run("umount", [mountPoint.path])
            #expect(unmounted?.status == 0, "umount \(mountPoint.path): \(unmounted?.standardError ?? "did not run")")
            withExtendedLifetime(scratch) {}
        }
        let kernelRelease = "6.1.0-1-test"
        let root = mountPoint.appendingPathComponent("root")
        let builder = TreeBuilder.at(root: root, kernelRelease: kernelRelease)
        try Self.buildSmallTree(builder)
        let request = DepmodRequest(root: Root(FilePath(root.path)), kernelRelease: kernelRelease)
        try Depmod.run(request, sink: CollectingDiagnosticSink())
        let before = try DepmodOracle.snapshot(builder.moduleDirectory)
        try Self.addModuleChangingEveryFile(builder)
        try Self.fill(mountPoint.appendingPathComponent("filler"))

        do {
            try Depmod.run(request, sink: CollectingDiagnosticSink())
            Issue.record("published on a full filesystem")
        } catch {
            guard case .publish(let failure) = error else { throw error }
            #expect(failure.errno == .noSpace, "\(failure)")
        }
        #expect(try DepmodOracle.snapshot(builder.moduleDirectory) == before, "a failed publish changed the previous index")
        #expect(temporaryFiles(in: builder.moduleDirectory).isEmpty, "left behind: \(temporaryFiles(in: builder.moduleDirectory))")
    }

    /// The command line reports a failed publish as exactly one `kmodmgr: error:` line naming the path that
    /// could not be written, and exits 1.
    @Test func commandLineReportsAFailedPublishInOneLine() throws {
        let tree = try Self.smallTree()
        try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
        let blocked = tree.ourModuleDirectory.appendingPathComponent("modules.dep")
        try Self.block(blocked)
        let result = try kmodmgr(["depmod", "-b", tree.ourRoot.path, tree.kernelRelease])
        #expect(result.status == 1)
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.count == 1, "expected one line, got: \(result.standardError)")
        #expect(result.standardError.hasPrefix("kmodmgr: error: "), "\(result.standardError)")
        #expect(result.standardError.contains(blocked.path), "the path is not named: \(result.standardError)")
        #expect(result.stdout.isEmpty)
    }

    /// `-n` writes nothing at all (not even the cache) and prints exactly what a real run writes to
    /// `modules.dep`, `.alias`, `.softdep`, `.symbols` and `.devname`, concatenated — as `depmod -n` prints.
    @Test func dryRunPrintsTheTextFilesAndWritesNothing() throws {
        let tree = try Self.smallTree()
        try tree.modify(Self.addModuleChangingEveryFile)
        let directory = tree.ourModuleDirectory
        let before = try DepmodOracle.snapshot(directory)
        let listing = Set(DepmodOracle.readdirNames(directory))

        let ours = try kmodmgr(["depmod", "-n", "-b", tree.ourRoot.path, tree.kernelRelease])
        #expect(ours.status == 0, "\(ours.standardError)")
        #expect(
            Set(DepmodOracle.readdirNames(directory)) == listing,
            "-n created \(Set(DepmodOracle.readdirNames(directory)).subtracting(listing))")
        #expect(try DepmodOracle.snapshot(directory) == before, "-n changed a file")

        let theirs = try run("depmod", ["-n", "-b", tree.oracleRoot.path, tree.kernelRelease])
        #expect(theirs.status == 0, "\(theirs.standardError)")
        #expect(ours.stdout == theirs.stdout, "\(DepmodOracle.firstLineDifference([UInt8](ours.stdout), [UInt8](theirs.stdout)))")

        try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
        let written = try ["modules.dep", "modules.alias", "modules.softdep", "modules.symbols", "modules.devname"].flatMap {
            try bytes(of: directory.appendingPathComponent($0))
        }
        #expect(
            [UInt8](ours.stdout) == written,
            "-n output is not the written files: \(DepmodOracle.firstLineDifference([UInt8](ours.stdout), written))")
        #expect(
            String(decoding: written, as: UTF8.self).contains("devname:"), "the tree has no devname line, so -n's last part is untested")
    }

    /// Arguments that cannot name a module directory or a module: exit 1, one error naming what is wrong, and
    /// nothing written.
    @Test(arguments: [
        BadArguments.kernelRelease, .missingModuleDirectory, .relativeFile,
    ])
    func badArgumentsFailNamingTheCulprit(_ bad: BadArguments) throws {
        let tree = try Self.smallTree()
        let before = try DepmodOracle.snapshot(tree.ourModuleDirectory)
        let (arguments, culprit) = bad.arguments(root: tree.ourRoot.path, kernelRelease: tree.kernelRelease)
        let result = try kmodmgr(["depmod", "-b", tree.ourRoot.path] + arguments)
        #expect(result.status == 1, "\(bad): exit \(result.status)")
        #expect(result.standardError.hasPrefix("kmodmgr: error: "), "\(result.standardError)")
        #expect(result.standardError.contains(culprit), "\(bad): '\(culprit)' not named in: \(result.standardError)")
        #expect(try DepmodOracle.snapshot(tree.ourModuleDirectory) == before)
    }

    enum BadArguments: String, Sendable, CustomTestStringConvertible {
        case kernelRelease, missingModuleDirectory, relativeFile
        var testDescription: String { rawValue }

        /// The arguments after `-b ROOT`, and the text the error must contain.
        func arguments(root: String, kernelRelease: String) -> (arguments: [String], culprit: String) {
            switch self {
            case .kernelRelease: (["not-a-release"], "not-a-release")
            case .missingModuleDirectory: (["9.9.9-missing"], root + "/lib/modules/9.9.9-missing")
            case .relativeFile: ([kernelRelease, "kernel/fs/fat/fat.ko"], "kernel/fs/fat/fat.ko")
            }
        }
    }

    /// Explicit files (`depmod -b ROOT KVER /abs/a.ko /abs/b.ko …`): only those modules are indexed, paths inside
    /// the module directory relative and one outside it absolute, exactly as depmod writes them.
    @Test func explicitFilesMatchDepmod() throws {
        let scratch = try TemporaryDirectory()
        let outside = scratch.path("outside-mod.ko")
        let module = SyntheticModule(
            is64Bit: true, bigEndian: false, modinfo: ["alias=outside-alias"], versions: [], exports: [],
            imports: [("fat_attach", false)])
        try write(module.bytes(), to: outside)
        let tree = try Self.smallTree()
        let files = ["kernel/fs/fat/vfat.ko", "kernel/fs/fat/fat.ko"]
        let ours = try kmodmgr(
            ["depmod", "-b", tree.ourRoot.path, tree.kernelRelease] + files.map { tree.ourModuleDirectory.path + "/" + $0 } + [outside.path]
        )
        let theirs = try run(
            "depmod",
            ["-b", tree.oracleRoot.path, tree.kernelRelease] + files.map { tree.oracleModuleDirectory.path + "/" + $0 } + [outside.path])
        #expect(theirs.status == 0, "depmod: \(theirs.standardError)")
        #expect(ours.status == theirs.status, "kmodmgr: \(ours.standardError)")
        for difference in tree.differences() { Issue.record("\(difference)") }
        let dep = String(decoding: try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.dep")), as: UTF8.self)
        #expect(dep.split(separator: "\n").count == 3, "not just the three named modules:\n\(dep)")
        #expect(dep.contains("\(outside.path): kernel/fs/fat/fat.ko\n"), "\(dep)")
        withExtendedLifetime(scratch) {}
    }

    // MARK: - Trees

    /// A few real modules with dependencies between them, a module with every kind of text-file line, the
    /// installed `modules.builtin{,.modinfo}` and a `modules.order` (so no run warns), in both roots of a
    /// `DepmodOracle`.
    static func smallTree() throws -> DepmodOracle {
        try DepmodOracle(build: buildSmallTree)
    }

    static func buildSmallTree(_ tree: TreeBuilder) throws {
        for path in ["kernel/fs/fat/fat.ko", "kernel/fs/fat/vfat.ko", "kernel/fs/fat/msdos.ko", "kernel/fs/fuse/fuse.ko"] {
            try tree.installed(path)
        }
        try tree.module("kernel/dev/chr.ko", modinfo: ["alias=devname:chrdev", "alias=char-major-10-99", "softdep=pre: fat"])
        try tree.installed("modules.builtin")
        try tree.installed("modules.builtin.modinfo")
        try tree.text("modules.order", "kernel/fs/fat/fat.ko\nkernel/fs/fat/vfat.ko\nkernel/fs/fat/msdos.ko\nkernel/fs/fuse/fuse.ko\n")
    }

    /// A module that adds a line to every text file (and so a key to every module `.bin`): an alias, a softdep,
    /// a device node, an export, and an import of `fat`.
    static func addModuleChangingEveryFile(_ tree: TreeBuilder) throws {
        try tree.module(
            "extra/newcomer.ko",
            modinfo: ["alias=newcomer-alias", "softdep=post: fuse", "alias=devname:newcomer", "alias=char-major-10-98"],
            exports: ["newcomer_export"], imports: ["fat_attach"])
    }

    /// Replaces the file at `url` by a non-empty directory of the same name.
    static func block(_ url: URL) throws {
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        try Data("in the way\n".utf8).write(to: url.appendingPathComponent("occupant"))
    }

    /// Writes `url` until its filesystem has not one free page left.
    static func fill(_ url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0, "open \(url.path): errno \(errno)")
        defer { close(fd) }
        for chunk in [1 << 20, 1 << 16, 1 << 12] {
            let zeros = [UInt8](repeating: 0, count: chunk)
            while zeros.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress!, chunk) }) == chunk {}
        }
        var status = statvfs()
        try #require(statvfs(url.deletingLastPathComponent().path, &status) == 0)
        try #require(status.f_bavail == 0, "\(status.f_bavail) blocks still free")
    }
}

extension TreeBuilder {
    /// A builder for `root/lib/modules/<kernelRelease>`, with that directory made.
    static func at(root: URL, kernelRelease: String) -> TreeBuilder {
        let builder = TreeBuilder(directoryForTests: root.appendingPathComponent("lib/modules").appendingPathComponent(kernelRelease))
        try? FileManager.default.createDirectory(at: builder.moduleDirectory, withIntermediateDirectories: true)
        return builder
    }
}

import DepmodIndex
import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// The parse cache (`modules.kmodmgr-cache.bin`, `ParseCache.swift`): after one change to a tree, a run reads
/// exactly the changed modules from disk and still writes what a run without the cache — and the real depmod —
/// writes; a damaged cache is ignored; and `-A` notices every kind of change, including deletions, which
/// `depmod -A` misses.
@Suite struct IncrementalTests {
    /// One change to a tree between two runs, and how many modules the second run must read.
    enum Change: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// A copy of a real module under a new name in `extra/`.
        case add
        /// `fat.ko` becomes another module's bytes (a new file: new inode, size and time).
        case replace
        /// `fat.ko` gets a new modification time, nothing else (same inode, size and bytes).
        case touch
        /// `fat.ko` is deleted.
        case delete
        /// `fat.ko` is renamed in its directory (same inode and time, new path and module name).
        case rename
        /// `fat.ko` is moved to `updates/` (same inode, time and module name, new path).
        case moveToUpdates
        /// `modules.order` is rewritten with `fat.ko` last (no module changes).
        case reorder
        /// `modules.devname`, one of the outputs, is deleted.
        case deleteOutput

        var testDescription: String { rawValue }

        /// The changes that alter a module file, for the cache tests.
        static let moduleChanges: [Change] = [.add, .replace, .touch, .delete, .rename, .moveToUpdates]

        /// How many modules a cached run must read after this change: only the new or changed file.
        var modulesRead: Int { [.add, .replace, .touch, .rename, .moveToUpdates].contains(self) ? 1 : 0 }

        /// How the module count changes.
        var countChange: Int { self == .add ? 1 : self == .delete ? -1 : 0 }

        func apply(to tree: TreeBuilder) throws {
            let fat = "kernel/fs/fat/fat.ko"
            switch self {
            case .add: try tree.replace("extra/fat-copy.ko", with: try bytes(of: tree.url(fat)))
            case .replace: try tree.replace(fat, with: try bytes(of: tree.url("kernel/fs/fuse/fuse.ko")))
            case .touch: try tree.setModificationTime(fat, seconds: 1_900_000_000)
            case .delete: try tree.remove(fat)
            case .rename: try tree.move(fat, to: "kernel/fs/fat/fat-renamed.ko")
            case .moveToUpdates: try tree.move(fat, to: "updates/fat.ko")
            case .reorder:
                let order = String(decoding: try bytes(of: tree.url("modules.order")), as: UTF8.self)
                var lines = order.split(separator: "\n").map(String.init).filter { $0 != fat }
                lines.append(fat)
                try tree.replace("modules.order", with: Array((lines.joined(separator: "\n") + "\n").utf8))
            // Only kmodmgr's copy has been indexed in some tests; depmod's may have no output yet.
            case .deleteOutput: try? tree.remove("modules.devname")
            }
        }
    }

    /// After each kind of module change on the whole installed tree, a cached run reads only what changed (one
    /// module, none for a deletion) yet writes exactly what an uncached run and `depmod -b` write — so nothing
    /// stale from the cache leaks into other modules' lines (`vfat` and `msdos` depend on `fat`).
    @Test(arguments: Change.moduleChanges)
    func cachedRunReadsOnlyTheChange(_ change: Change) throws {
        let installed = try InstalledTreeState.take()
        let tree = try indexedWholeTree()
        let cold = DepmodOracle.indexFiles(in: tree.ourModuleDirectory)
        let before = try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
        #expect(before.modulesRead == 0, "an unchanged tree re-read \(before.modulesRead) modules")

        try tree.modify { try change.apply(to: $0) }
        let warm = try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
        #expect(warm.modulesRead == change.modulesRead, "\(change): read \(warm.modulesRead) modules")
        #expect(warm.moduleCount == before.moduleCount + change.countChange)
        let written = DepmodOracle.indexFiles(in: tree.ourModuleDirectory)
        // Only a touch leaves the index as it was; otherwise a cache that served stale facts would show.
        #expect((written["modules.dep"] == cold["modules.dep"]) == (change == .touch))

        var uncached = tree.request
        uncached.useCache = false
        let fresh = try Depmod.generate(uncached, sink: CollectingDiagnosticSink())
        #expect(fresh.modulesRead == fresh.moduleCount)
        for difference in tree.differences(from: fresh.filesByName, what: "an uncached run") { Issue.record("\(difference)") }

        let oracle = try tree.runOracle()
        #expect(oracle.status == 0, "depmod failed: \(oracle.standardError)")
        for difference in tree.differences() { Issue.record("\(difference)") }
        // The copy is hard links: editing it must never write through to the installed files.
        let changed = installed.changes(to: try InstalledTreeState.take())
        #expect(changed.isEmpty, "the installed tree changed: \(changed.prefix(10))")
    }

    /// What an admin installing and removing packages does to a kernel's tree, over and over: each run after a
    /// module comes or goes reads just that module, writes exactly what an uncached run writes, and leaves a
    /// cache the next run can use — whether that cache copied the unchanged entries through (appending strings
    /// the old ones no longer use) or was written whole again, which must happen often enough that the file
    /// stays near the size a whole rewrite gives.
    @Test func cacheSurvivesManyInstallsAndRemovals() throws {
        let tree = try indexedSampleTree()
        let cacheFile = tree.ourModuleDirectory.appendingPathComponent("modules.kmodmgr-cache.bin")
        let wholeSize = try bytes(of: cacheFile).count
        let donors = ["kernel/fs/fat/fat.ko", "kernel/fs/fuse/fuse.ko", "kernel/fs/fat/vfat.ko"]
        var largest = 0
        for round in 0..<60 {
            let installed = "updates/kmodmgr/churn\(round / 2 % 3).ko"
            let add = round % 2 == 0
            try tree.modify { tree in
                if add {
                    try tree.replace(installed, with: try bytes(of: tree.url(donors[round / 2 % donors.count])))
                } else {
                    try tree.remove(installed)
                }
            }
            let run = try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
            #expect(run.modulesRead == (add ? 1 : 0), "round \(round): read \(run.modulesRead) modules")
            var uncached = tree.request
            uncached.useCache = false
            let fresh = try Depmod.generate(uncached, sink: CollectingDiagnosticSink())
            for difference in tree.differences(from: fresh.filesByName, what: "an uncached run") {
                Issue.record("round \(round): \(difference)")
            }
            largest = max(largest, try bytes(of: cacheFile).count)
        }
        #expect(largest * 4 <= wholeSize * 5, "the cache grew from \(wholeSize) to \(largest) bytes: unused strings are never dropped")
        let settled = try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
        #expect(settled.modulesRead == 0, "an unchanged tree re-read \(settled.modulesRead) modules")
    }

    /// A cache file that is damaged or foreign is not trusted: every module is read again, the index is exactly
    /// the cold run's, and the next run finds a good cache again.
    @Test(arguments: CacheDamage.allCases)
    func damagedCacheIsIgnored(_ damage: CacheDamage) throws {
        let tree = try indexedSampleTree()
        let expected = DepmodOracle.indexFiles(in: tree.ourModuleDirectory)
        let cacheFile = tree.ourModuleDirectory.appendingPathComponent("modules.kmodmgr-cache.bin")
        let good = try bytes(of: cacheFile)
        try write(try damage.apply(to: good), to: cacheFile)

        let run = try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
        #expect(run.modulesRead == run.moduleCount, "\(damage): only \(run.modulesRead) of \(run.moduleCount) modules read")
        for difference in tree.differences(from: expected, what: "the cold run") { Issue.record("\(difference)") }
        let next = try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
        #expect(next.modulesRead == 0, "the cache was not rewritten: \(next.modulesRead) modules read")
    }

    enum CacheDamage: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// Cut in half, as an interrupted copy would leave it.
        case truncated
        /// Only the header line survives.
        case headerOnly
        /// Random bytes of the same length.
        case garbage
        /// Empty.
        case empty
        /// Intact, but written by another kmodmgr version.
        case otherVersion
        /// Intact, but in another cache format number.
        case otherFormat

        var testDescription: String { rawValue }

        func apply(to good: [UInt8]) throws -> [UInt8] {
            let headerEnd = try #require(good.firstIndex(of: 0x0A)) + 1
            let header = String(decoding: good[..<headerEnd], as: UTF8.self)
            let format = try #require(header.firstMatch(of: /^kmodmgr \S+ depmod cache (\d+)\n$/)?.output.1, "unexpected header \(header)")
            let nextFormat = (Int(format) ?? 0) + 1
            let rest = Array(good[headerEnd...])
            switch self {
            case .truncated: return Array(good.prefix(good.count / 2))
            case .headerOnly: return Array(good[..<headerEnd])
            case .garbage:
                var generator = SeededGenerator(seed: 0xCAC4E)
                return (0..<good.count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            case .empty: return []
            case .otherVersion: return Array("kmodmgr 0.0.0-elsewhere depmod cache \(format)\n".utf8) + rest
            case .otherFormat:
                return Array(header.replacingOccurrences(of: " depmod cache \(format)\n", with: " depmod cache \(nextFormat)\n").utf8)
                    + rest
            }
        }
    }

    /// A cache altered inside, with its structure intact — one byte of a symbol name in the string table, as a bad
    /// sector or a stray write would leave it — must not change the index: a cache is only an optimisation, and
    /// the index must stay byte-identical to depmod's whatever the cache holds.
    @Test func alteredCacheContentDoesNotReachTheIndex() throws {
        let tree = try indexedSampleTree()
        let expected = DepmodOracle.indexFiles(in: tree.ourModuleDirectory)
        let cacheFile = tree.ourModuleDirectory.appendingPathComponent("modules.kmodmgr-cache.bin")
        var cache = try bytes(of: cacheFile)
        // `fat_attach` is exported by fat and imported by vfat and msdos; its one string-table copy becomes `fbt_attach`.
        let name = Array("fat_attach".utf8)
        let offset = try #require(
            cache.indices.dropLast(name.count).first { cache[$0..<($0 + name.count)].elementsEqual(name) }, "no fat_attach in the cache")
        cache[offset + 1] = UInt8(ascii: "b")
        try write(cache, to: cacheFile)

        let run = try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
        for difference in tree.differences(from: expected, what: "the cold run") {
            Issue.record("\(difference)\n(\(run.modulesRead) of \(run.moduleCount) modules read; the rest came from the altered cache)")
        }
    }

    /// `isUpToDate` (what `-A` asks) is true right after a run and false after any change that alters the index —
    /// including a deletion, a rename, a `modules.order` rewrite and a deleted output file; `kmodmgr depmod -A`
    /// then reindexes, to exactly what `depmod -b` writes, and is up to date again.
    @Test(arguments: Change.allCases)
    func quickModeNoticesEveryChange(_ change: Change) throws {
        let installed = try InstalledTreeState.take()
        let tree = try indexedSampleTree()
        #expect(Depmod.isUpToDate(tree.request, sink: CollectingDiagnosticSink()), "not up to date right after a run")
        try tree.modify { try change.apply(to: $0) }
        #expect(!Depmod.isUpToDate(tree.request, sink: CollectingDiagnosticSink()), "\(change) is not noticed")

        let quick = try kmodmgr(["depmod", "-A", "-b", tree.ourRoot.path, tree.kernelRelease])
        #expect(quick.status == 0, "kmodmgr depmod -A: \(quick.standardError)")
        let oracle = try tree.runOracle()
        #expect(oracle.status == 0, "depmod failed: \(oracle.standardError)")
        for difference in tree.differences() { Issue.record("after -A: \(difference)") }
        #expect(Depmod.isUpToDate(tree.request, sink: CollectingDiagnosticSink()), "not up to date after -A reindexed")
        let changed = installed.changes(to: try InstalledTreeState.take())
        #expect(changed.isEmpty, "the installed tree changed: \(changed.prefix(10))")
    }

    /// The contrast that motivates our `-A`: `depmod -A` only asks whether some module is newer than
    /// `modules.dep`, so after a deletion it keeps an index naming a file that is gone (modprobe would then fail
    /// to load it); `kmodmgr depmod -A` drops it.
    @Test func quickModeDropsADeletedModuleWhereDepmodKeepsIt() throws {
        let tree = try indexedSampleTree()
        let oracle = try tree.runOracle()
        #expect(oracle.status == 0, "depmod failed: \(oracle.standardError)")
        try tree.modify { try Change.delete.apply(to: $0) }
        let theirs = try run("depmod", ["-A", "-b", tree.oracleRoot.path, tree.kernelRelease])
        let ours = try kmodmgr(["depmod", "-A", "-b", tree.ourRoot.path, tree.kernelRelease])
        #expect(theirs.status == 0 && ours.status == 0, "depmod: \(theirs.standardError)\nkmodmgr: \(ours.standardError)")
        func lists(_ directory: URL) throws -> Bool {
            String(decoding: try bytes(of: directory.appendingPathComponent("modules.dep")), as: UTF8.self)
                .contains("kernel/fs/fat/fat.ko:")
        }
        #expect(try lists(tree.oracleModuleDirectory), "depmod -A dropped the deleted module: the contrast no longer holds")
        #expect(try !lists(tree.ourModuleDirectory), "kmodmgr depmod -A kept the deleted module fat.ko")
    }

    // MARK: - Trees

    /// A hard-linked copy of the whole installed tree, indexed once by kmodmgr with a cold cache. `fat.ko` is
    /// made a file of its own first, so a test may change its time without touching the installed original.
    private func indexedWholeTree() throws -> DepmodOracle {
        let tree = try FullTree.copies(.none)
        return try indexed(tree)
    }

    /// The same, with only ~300 modules spread over the tree (plus the fat and fuse modules the changes use), for
    /// tests whose point does not need 4,000 modules.
    private func indexedSampleTree() throws -> DepmodOracle {
        let kernel = try FullTree.kernel
        let source = kernel.moduleDirectory.path + "/"
        var paths = Set(kernel.sample(300).map { String($0.path.dropFirst(source.count)) })
        paths.formUnion(["kernel/fs/fat/fat.ko", "kernel/fs/fat/vfat.ko", "kernel/fs/fat/msdos.ko", "kernel/fs/fuse/fuse.ko"])
        paths.formUnion(["modules.order", "modules.builtin", "modules.builtin.modinfo"])
        let tree = try DepmodOracle(kernelRelease: kernel.release) { tree in
            for path in paths.sorted() {
                try FileManager.default.createDirectory(at: tree.url(path).deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.linkItem(at: URL(fileURLWithPath: source + path), to: tree.url(path))
            }
        }
        return try indexed(tree)
    }

    private func indexed(_ tree: DepmodOracle) throws -> DepmodOracle {
        try tree.modify { try $0.replace("kernel/fs/fat/fat.ko", with: try bytes(of: $0.url("kernel/fs/fat/fat.ko"))) }
        let cold = try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
        #expect(cold.modulesRead == cold.moduleCount, "a first run without a cache read \(cold.modulesRead) of \(cold.moduleCount)")
        return tree
    }
}

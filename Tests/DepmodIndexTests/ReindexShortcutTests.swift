import DepmodIndex
import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// The two shortcuts the lifecycle's re-index takes, checked against the real depmod after every step: index
/// files whose inputs did not change are kept as they are (`keepUnchangedFiles`), and the directory listings of a
/// walk earlier in the command are reused where the directory is unchanged (`IndexPreparation`).
@Suite struct ReindexShortcutTests {
    /// A package's modules come and go: each run makes exactly the files whose inputs changed — the alias files
    /// for a module with aliases, the symbol files for one with exports, `modules.dep` and its `.bin` always — and
    /// every file on disk is what depmod writes. A kept file that someone rewrote since is made again.
    @Test func filesAreMadeOnlyWhenTheirInputsChange() throws {
        let tree = try DepmodOracle { tree in
            try tree.module("kernel/core.ko", exports: ["core_call"])
            try tree.module("kernel/net.ko", modinfo: ["alias=pci:v00008086d*"], imports: ["core_call"])
            try tree.module("kernel/snd.ko", modinfo: ["softdep=pre: core"], imports: ["core_call"])
            // Listed ahead, so that each module's position (its priority in the .bin files) does not depend on the
            // hash order of the others; plain.ko, unlisted, always comes last.
            let listed = [
                "kernel/core.ko", "kernel/net.ko", "kernel/snd.ko", "updates/kmodmgr/wifi.ko", "updates/kmodmgr/helper.ko", "extra/late.ko",
            ]
            try tree.text("modules.order", listed.map { $0 + "\n" }.joined())
        }
        var request = tree.request
        request.keepUnchangedFiles = true
        let all = Set(IndexFile.allCases)
        let always: Set<IndexFile> = [.dep, .depBin]
        let aliasFiles: Set<IndexFile> = [.alias, .aliasBin, .devname]
        let symbolFiles: Set<IndexFile> = [.symbols, .symbolsBin]

        // Each step: a change to both copies, then the files kmodmgr's run must make.
        let steps: [(String, (TreeBuilder) throws -> Void, Set<IndexFile>)] = [
            ("first run", { _ in }, all),
            ("nothing changed", { _ in }, always),
            ("a plain module", { try $0.module("updates/kmodmgr/plain.ko", imports: ["core_call"]) }, always),
            (
                "a module with an alias",
                { try $0.module("updates/kmodmgr/wifi.ko", modinfo: ["alias=usb:v0BDAp8179d*"]) }, always.union(aliasFiles)
            ),
            (
                "a module with an export",
                { try $0.module("updates/kmodmgr/helper.ko", exports: ["helper_call"]) }, always.union(symbolFiles)
            ),
            ("a softdep", { try $0.module("extra/late.ko", modinfo: ["softdep=post: snd"]) }, always.union([.softdep])),
            ("the plain module removed", { try FileManager.default.removeItem(at: $0.url("updates/kmodmgr/plain.ko")) }, always),
            (
                // helper.ko and late.ko move up a place: their symbols' and softdep's priorities change too.
                "the aliased one removed",
                { try FileManager.default.removeItem(at: $0.url("updates/kmodmgr/wifi.ko")) },
                always.union(aliasFiles).union(symbolFiles).union([.softdep])
            ),
            ("modules.builtin appears", { try $0.text("modules.builtin", "kernel/fs/ext4/ext4.ko\n") }, all),
        ]
        for (step, change, expected) in steps {
            try tree.modify(change)
            let run = try Depmod.run(request, sink: CollectingDiagnosticSink())
            let made = Set(IndexFile.allCases.filter(run.wasMade))
            #expect(made == expected, "\(step): made \(made.map(\.fileName).sorted())")
            let oracle = try tree.runOracle()
            #expect(oracle.status == 0, "depmod failed: \(oracle.standardError)")
            for difference in tree.differences() { Issue.record("\(step): \(difference)") }
        }

        // modules.symbols rewritten by hand with the same size: its record no longer matches, so it is made again.
        let symbols = tree.ourModuleDirectory.appendingPathComponent("modules.symbols")
        let original = try bytes(of: symbols)
        try write([UInt8](repeating: UInt8(ascii: "#"), count: original.count), to: symbols)
        let run = try Depmod.run(request, sink: CollectingDiagnosticSink())
        #expect(run.wasMade(.symbols) && !run.wasMade(.symbolsBin))
        #expect(try bytes(of: symbols) == original)
    }

    /// An install's walk, a change, then the re-index with the walk's listings: a module added to a directory
    /// listed long after its last change (mtime moves on) is seen; so is one added to a directory listed within
    /// the same second as its last change, even if the change left the time as it was (a coarse clock): that
    /// listing is never trusted. Both runs write what depmod writes.
    @Test func aReusedWalkNeverHidesAChange() throws {
        let tree = try DepmodOracle { tree in
            try tree.module("kernel/core.ko", exports: ["core_call"])
            try tree.module("extra/old/a.ko", imports: ["core_call"])
            try tree.module("updates/fresh/b.ko", imports: ["core_call"])
            try tree.text("modules.order", "kernel/core.ko\n")
        }
        let root = Root(FilePath(tree.ourRoot.path))
        let old = tree.ourModuleDirectory.appendingPathComponent("extra/old")
        let fresh = tree.ourModuleDirectory.appendingPathComponent("updates/fresh")
        try setModificationTime(old, seconds: Int(Date().timeIntervalSince1970) - 3600)
        try Depmod.run(tree.request, sink: CollectingDiagnosticSink())

        let preparation = IndexPreparation(root: root, release: tree.kernelRelease)
        let rivals = ModuleRivals(root: root, release: tree.kernelRelease, snapshot: preparation.snapshot)
        #expect(rivals.files(named: "a").count == 1 && rivals.files(named: "b").count == 1)
        let freshTime = try modificationTime(fresh)

        try tree.modify { tree in
            try tree.module("extra/old/c.ko", imports: ["core_call"])
            try tree.module("updates/fresh/d.ko", imports: ["core_call"])
        }
        // The fresh directory's change "happens in the tick it was listed in": its time stays as the walk saw it.
        try setModificationTime(fresh, nanoseconds: freshTime)
        var request = tree.request
        request.keepUnchangedFiles = true
        request.preparation = preparation
        let run = try Depmod.run(request, sink: CollectingDiagnosticSink())
        #expect(run.moduleCount == 5, "listed \(run.moduleCount) modules")
        let oracle = try tree.runOracle()
        #expect(oracle.status == 0, "depmod failed: \(oracle.standardError)")
        for difference in tree.differences() { Issue.record("\(difference)") }
    }

    private func modificationTime(_ url: URL) throws -> Int64 {
        var info = stat()
        guard stat(url.path, &info) == 0 else { throw FixtureFailure("stat \(url.path): errno \(errno)") }
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    private func setModificationTime(_ url: URL, seconds: Int) throws {
        try setModificationTime(url, nanoseconds: Int64(seconds) * 1_000_000_000)
    }

    private func setModificationTime(_ url: URL, nanoseconds: Int64) throws {
        let time = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var times = [time, time]
        guard utimensat(AT_FDCWD, url.path, &times, 0) == 0 else { throw FixtureFailure("utimensat \(url.path): errno \(errno)") }
    }

    private struct FixtureFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

import DepmodIndex
import Foundation
import KmodBridge
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// The whole installed kernel tree (~4,000 real modules), not a hand-made sample: every rule of
/// docs/depmod-index.md meets real data at once, and the result must be byte-identical to kmod 30's depmod
/// for plain, xz and zstd modules. Serialized: each test indexes the whole tree several times on two cores.
@Suite(.serialized) struct FullTreeTests {
    /// Ours against `depmod -b` on hard-linked copies of the installed tree (compressed trees come from a fixture
    /// built once): all ten files identical, every `.bin` readable by `IndexReader` and libkmod, unchanged when
    /// indexed again from the parse cache — and the installed originals untouched by either tool.
    @Test(arguments: TreeCompression.allCases)
    func wholeTreeMatchesDepmod(_ compression: TreeCompression) throws {
        let kernel = try FullTree.kernel
        let before = try InstalledTreeState.take()
        let tree = try FullTree.copies(compression)
        try tree.expectSameAsDepmod()

        // Every module is indexed, under its real (compressed) name.
        let dep = String(decoding: try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.dep")), as: UTF8.self)
        let paths = dep.split(separator: "\n").map { String($0.prefix { $0 != ":" }) }
        #expect(paths.count == kernel.modules.count)
        #expect(
            paths.allSatisfy { $0.hasSuffix(compression.moduleSuffix) }, "\(paths.first { !$0.hasSuffix(compression.moduleSuffix) } ?? "")")

        // expectSameAsDepmod ran twice, so a third run takes every module from the cache.
        let again = try Depmod.run(tree.request, sink: CollectingDiagnosticSink())
        #expect(again.moduleCount == kernel.modules.count)
        #expect(again.modulesRead == 0, "an unchanged tree re-read \(again.modulesRead) modules")

        let changed = before.changes(to: try InstalledTreeState.take())
        #expect(changed.isEmpty, "the installed tree changed under \(kernel.moduleDirectory.path): \(changed.prefix(10))")
    }

    /// `--format v34` writes kmod 34's pre-order node layout: the text files stay identical to depmod's, every
    /// `.bin` differs in bytes from depmod's (v30, post-order) yet holds exactly the same keys, values and
    /// priorities, and Debian's libkmod (kmod 30, which reads both layouts) resolves every lookup the same way.
    @Test func v34LayoutHasTheSameEntriesAsDepmodsV30() throws {
        let tree = try FullTree.copies(.none)
        let oracle = try tree.runOracle()
        #expect(oracle.status == 0, "depmod failed: \(oracle.standardError)")
        var request = tree.request
        request.layout = .v34
        try Depmod.run(request, sink: CollectingDiagnosticSink())

        var entries = [String: [IndexReader.Entry]]()
        for name in DepmodOracle.indexFileNames {
            let ours = try bytes(of: tree.ourModuleDirectory.appendingPathComponent(name))
            let theirs = try bytes(of: tree.oracleModuleDirectory.appendingPathComponent(name))
            guard name.hasSuffix(".bin") else {
                #expect(ours == theirs, "\(name): \(DepmodOracle.firstLineDifference(ours, theirs))")
                continue
            }
            #expect(ours != theirs, "\(name) is byte-identical to depmod's v30 file: the layout option had no effect")
            let ourEntries = try IndexReader(ours).entries()
            let theirEntries = try IndexReader(theirs).entries()
            #expect(!ourEntries.isEmpty)
            #expect(ourEntries == theirEntries, "\(name): \(ourEntries.count) entries vs depmod's \(theirEntries.count)")
            entries[name] = theirEntries
        }
        try expectReadableIndexes(in: tree.ourModuleDirectory)

        // The same answers from both directories, for every key either index holds.
        var keys = Set<String>()
        for name in ["modules.dep.bin", "modules.symbols.bin", "modules.alias.bin", "modules.builtin.bin"] {
            keys.formUnion((entries[name] ?? []).map(\.key).filter { !$0.contains { "*?[]".contains($0) } })
        }
        #expect(keys.count > 10_000)
        let ourContext = try KmodContext(moduleDirectory: FilePath(tree.ourModuleDirectory.path))
        let theirContext = try KmodContext(moduleDirectory: FilePath(tree.oracleModuleDirectory.path))
        func answer(_ context: borrowing KmodContext, _ key: String, _ directory: URL) throws -> [String] {
            try context.lookup(key).map { "\($0.name) \($0.path?.string.replacingOccurrences(of: directory.path, with: "") ?? "built-in")" }
        }
        var mismatches = [String]()
        for key in keys.sorted() {
            let ours = try answer(ourContext, key, tree.ourModuleDirectory)
            let theirs = try answer(theirContext, key, tree.oracleModuleDirectory)
            if ours != theirs { mismatches.append("\(key): \(ours) vs \(theirs)") }
        }
        #expect(mismatches.isEmpty, "libkmod answers differently from the v34 files: \(mismatches.prefix(5))")
    }
}

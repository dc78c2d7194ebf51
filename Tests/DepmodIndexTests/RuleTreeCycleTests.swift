import DepmodIndex
import Foundation
import SystemSupport
import TestSupport
import Testing

/// A dependency cycle aborts the run before anything is written (docs/depmod-index.md, Dependency order): depmod
/// exits 1 and `Depmod.run` throws `dependencyCycle`, and the index already in the module directory stays as it was.
@Suite struct RuleTreeCycleTests {
    /// `a`↔`b` and `d`→`e`→`f`→`d`, with `c` using the first cycle without being in it and `g` standing apart.
    /// It starts without the two closing imports, is indexed, and only then gets them.
    @Test func cycleWritesNothingAndNamesTheModules() throws {
        func build(_ tree: TreeBuilder, closed: Bool) throws {
            try tree.module("kernel/a.ko", exports: ["sym_a"], imports: ["sym_b"])
            try tree.module("kernel/b.ko", exports: ["sym_b"], imports: closed ? ["sym_a"] : [])
            try tree.module("kernel/c.ko", imports: ["sym_a"])
            try tree.module("kernel/loop/d.ko", exports: ["sym_d"], imports: ["sym_e"])
            try tree.module("kernel/loop/e.ko", exports: ["sym_e"], imports: ["sym_f"])
            try tree.module("kernel/loop/f.ko", exports: ["sym_f"], imports: closed ? ["sym_d"] : [])
            try tree.module("kernel/g.ko", modinfo: ["alias=apart"])
        }
        let tree = try DepmodOracle { try build($0, closed: false) }
        try tree.expectSameAsDepmod()
        try tree.modify { try build($0, closed: true) }
        try Self.expectCycleChangesNothing(tree, modules: 5)
    }

    /// Runs both tools on a tree with a cycle: depmod must exit 1, `Depmod.run` must throw `dependencyCycle`
    /// naming the same modules in closed loops, and neither module directory may change at all.
    static func expectCycleChangesNothing(
        _ tree: DepmodOracle, modules expectedCount: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let oursBefore = try DepmodOracle.snapshot(tree.ourModuleDirectory)
        let theirsBefore = try DepmodOracle.snapshot(tree.oracleModuleDirectory)
        let oracle = try tree.runOracle()
        #expect(oracle.status == 1, "\(oracle.standardError)", sourceLocation: sourceLocation)
        var thrown: DepmodError?
        do { try Depmod.run(tree.request, sink: CollectingDiagnosticSink()) } catch { thrown = error }

        #expect(
            try DepmodOracle.snapshot(tree.oracleModuleDirectory) == theirsBefore, "depmod changed its files",
            sourceLocation: sourceLocation)
        #expect(
            try DepmodOracle.snapshot(tree.ourModuleDirectory) == oursBefore, "kmodmgr changed files in the module directory",
            sourceLocation: sourceLocation)
        guard case .dependencyCycle(let cycles, let count) = thrown else {
            Issue.record("expected a dependency cycle, got \(String(describing: thrown))", sourceLocation: sourceLocation)
            return
        }
        // depmod: "Cycle detected: a -> b -> a" for each cycle, then "Found 5 modules in dependency cycles!".
        let theirCycles = oracle.standardError.split(separator: "\n").compactMap { line -> Set<String>? in
            guard let range = line.range(of: "Cycle detected: ") else { return nil }
            return Set(line[range.upperBound...].components(separatedBy: " -> "))
        }
        #expect(
            Set(cycles.map(Set.init)) == Set(theirCycles), "ours \(cycles), depmod's \(oracle.standardError)",
            sourceLocation: sourceLocation)
        #expect(
            oracle.standardError.contains("Found \(count) modules in dependency cycles!"), "\(count): \(oracle.standardError)",
            sourceLocation: sourceLocation)
        #expect(count == expectedCount, sourceLocation: sourceLocation)
        for cycle in cycles {
            #expect(cycle.first == cycle.last && cycle.count >= 2, "\(cycle) is not a closed loop", sourceLocation: sourceLocation)
        }
    }

    /// A module whose undefined symbols include its own export depends on itself: depmod reports
    /// `Cycle detected: selfish -> selfish` and writes nothing. (Linked modules never have such a reference; a
    /// hand-made one does.)
    @Test func importingItsOwnExportIsACycleOfOne() throws {
        let tree = try DepmodOracle { tree in
            try tree.module("kernel/selfish.ko", exports: ["mine"], imports: ["mine"])
            try tree.module("kernel/user.ko", imports: ["mine"])
        }
        try Self.expectCycleChangesNothing(tree, modules: 1)
    }
}

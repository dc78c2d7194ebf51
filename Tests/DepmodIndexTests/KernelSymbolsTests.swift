import DepmodIndex
import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// `-E Module.symvers`, `-F System.map` and `-e`: the kernel's own symbols satisfy imports without creating
/// dependencies, and `-e` reports exactly what depmod reports — imports nobody provides and CRC mismatches.
@Suite struct KernelSymbolsTests {
    static let symvers = """
        0x00001234\tvmlinux_fn\tvmlinux\tEXPORT_SYMBOL\t
        0x00005678\tother_fn\tdrivers/x/other\tEXPORT_SYMBOL_GPL\t
        0x0000abcd\tsecond_vmlinux_fn\tvmlinux\tEXPORT_SYMBOL_GPL\tSOME_NS

        """

    @Test func moduleSymversKeepsOnlyVmlinuxRowsAndTheFakeSymbols() {
        let symbols = KernelSymbols.moduleSymvers(Self.symvers)
        #expect(symbols.crcByName["vmlinux_fn"] == 0x1234)
        #expect(symbols.crcByName["second_vmlinux_fn"] == 0xABCD)
        #expect(symbols.crcByName["other_fn"] == nil)
        #expect(symbols.crcByName["__this_module"] == 0)
        #expect(symbols.hasVersions)
    }

    @Test func systemMapKeepsKsymtabEntries() {
        let symbols = KernelSymbols.systemMap("ffffffff81000000 T _stext\nffffffff82000000 r __ksymtab_printk\n")
        #expect(symbols.crcByName["printk"] == 0)
        #expect(symbols.crcByName["_stext"] == nil)
        #expect(!symbols.hasVersions)
    }

    /// `b` imports a module's symbol, two kernel symbols (one with a CRC that disagrees) and one nobody has.
    static func tree() throws -> DepmodOracle {
        try DepmodOracle { tree in
            try tree.module("kernel/a.ko", exports: ["a_fn"])
            let b = SyntheticModule(
                is64Bit: true, bigEndian: false, modinfo: ["name=b"],
                versions: [("a_fn", 0x1000), ("vmlinux_fn", 0x9999), ("second_vmlinux_fn", 0xABCD)], exports: [],
                imports: [("a_fn", false), ("vmlinux_fn", false), ("second_vmlinux_fn", false), ("missing_fn", false)])
            try tree.file("kernel/b.ko", b.bytes())
        }
    }

    @Test func errsymsReportsWhatDepmodReports() throws {
        let tree = try Self.tree()
        let symversFile = tree.scratch.path("Module.symvers")
        try Data(Self.symvers.utf8).write(to: symversFile)

        let theirs = try run("depmod", ["-b", tree.oracleRoot.path, "-E", symversFile.path, "-e", tree.kernelRelease])
        #expect(theirs.status == 0)
        var request = DepmodRequest(root: Root(FilePath(tree.ourRoot.path)), kernelRelease: tree.kernelRelease)
        request.kernelSymbols = KernelSymbols.moduleSymvers(Self.symvers)
        request.reportUnresolved = true
        let sink = CollectingDiagnosticSink()
        try Depmod.run(request, sink: sink)
        #expect(tree.differences().isEmpty, "\(tree.differences())")

        // Compare the reports without the paths (depmod names the file under its own root).
        func reports(_ lines: [String]) -> [String] {
            lines.compactMap { line in
                guard let range = line.range(of: "b.ko ") else { return nil }
                return String(line[range.upperBound...])
            }.sorted()
        }
        let ours = reports(sink.diagnostics.map(\.message))
        #expect(ours == ["disagrees about version of symbol vmlinux_fn", "needs unknown symbol missing_fn"])
        #expect(ours == reports(theirs.standardError.split(separator: "\n").map(String.init)), "depmod said: \(theirs.standardError)")
    }

    /// A run that takes every module from the parse cache resolves the cached imports by string-table number, not
    /// by name: it must still report, explain and depend exactly as the run that read the files did.
    @Test func cachedImportsResolveAsReadOnesDo() throws {
        let tree = try Self.tree()
        var request = DepmodRequest(root: Root(FilePath(tree.ourRoot.path)), kernelRelease: tree.kernelRelease)
        request.kernelSymbols = KernelSymbols.moduleSymvers(Self.symvers)
        request.reportUnresolved = true
        request.explain = true
        let firstSink = CollectingDiagnosticSink()
        let first = try Depmod.run(request, sink: firstSink)
        let secondSink = CollectingDiagnosticSink()
        let second = try Depmod.run(request, sink: secondSink)
        #expect(first.modulesRead == 2 && second.modulesRead == 0)
        #expect(!first.explanations.isEmpty && second.explanations == first.explanations)
        let firstReports = firstSink.diagnostics.map(\.message)
        #expect(firstReports.filter { $0.contains("b.ko ") }.count == 2)
        #expect(secondSink.diagnostics.map(\.message) == firstReports)
        #expect(second.files.map(\.contents) == first.files.map(\.contents))
    }

    @Test func errsymsWithoutKernelSymbolsOnlyWarnsThatItCannot() throws {
        let tree = try Self.tree()
        var request = DepmodRequest(root: Root(FilePath(tree.ourRoot.path)), kernelRelease: tree.kernelRelease)
        request.reportUnresolved = true
        let sink = CollectingDiagnosticSink()
        try Depmod.run(request, sink: sink)
        #expect(sink.diagnostics.map(\.message).filter { $0.contains("unknown symbol") }.isEmpty)
        #expect(sink.diagnostics.contains { $0.message.contains("-e needs -E or -F") })
    }
}

import DepmodIndex
import Foundation
import KmodBridge
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// What one golden comparison leaves behind, for tests that check more than byte identity.
struct RuleTreeOutcome {
    /// The real depmod's exit status and messages.
    let oracle: ProcessResult
    /// What kmodmgr reported while indexing.
    let diagnostics: [Diagnostic]
}

extension DepmodOracle {
    /// kmodmgr's request for the run `oracleArguments` describes.
    var request: DepmodRequest {
        var request = DepmodRequest(root: Root(FilePath(ourRoot.path)), kernelRelease: kernelRelease)
        if let configurationDirectory { request.configurationLocations = [FilePath(configurationDirectory.path)] }
        return request
    }

    /// Runs the real depmod and `Depmod.run` on the two copies, expects all ten files byte-identical, then
    /// reads every index kmodmgr wrote back, with our reader and with libkmod.
    @discardableResult
    func expectSameAsDepmod(sourceLocation: SourceLocation = #_sourceLocation) throws -> RuleTreeOutcome {
        let unfair = readdirMismatches()
        #expect(unfair.isEmpty, "the two copies list differently, so the fixture proves nothing: \(unfair)", sourceLocation: sourceLocation)
        let oracle = try runOracle()
        #expect(oracle.status == 0, "depmod failed: \(oracle.standardError)", sourceLocation: sourceLocation)
        let sink = CollectingDiagnosticSink()
        try Depmod.run(request, sink: sink)
        for difference in differences() {
            Issue.record("\(difference)\n(depmod said: \(oracle.standardError))", sourceLocation: sourceLocation)
        }
        try expectReadableIndexes(in: ourModuleDirectory, sourceLocation: sourceLocation)
        // A second run takes what it can from the parse cache the first one wrote; the files must not change.
        let first = try DepmodOracle.snapshot(ourModuleDirectory)
        let again = try Depmod.run(request, sink: CollectingDiagnosticSink())
        let second = try DepmodOracle.snapshot(ourModuleDirectory)
        for name in DepmodOracle.indexFileNames where first[name] != second[name] {
            Issue.record(
                "\(name) changed when indexed again from the cache (\(again.modulesRead) modules read)", sourceLocation: sourceLocation)
        }
        return RuleTreeOutcome(oracle: oracle, diagnostics: sink.diagnostics)
    }
}

/// Every non-empty `.bin` in `directory` must parse with `IndexReader`, and libkmod must find through them what the
/// text files promise: each module of `modules.dep` at its path, each symbol's owner, each plain alias's modules
/// and each built-in module.
func expectReadableIndexes(in directory: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    var entries = [String: [IndexReader.Entry]]()
    for name in DepmodOracle.indexFileNames where name.hasSuffix(".bin") {
        let contents = try bytes(of: directory.appendingPathComponent(name))
        if contents.isEmpty { continue }  // a missing builtin input gives a 0-byte file, as depmod writes
        do {
            entries[name] = try IndexReader(contents).entries()
        } catch {
            Issue.record("\(name) cannot be read back: \(error)", sourceLocation: sourceLocation)
        }
    }
    let context = try KmodContext(moduleDirectory: FilePath(directory.path))
    let depLines = String(decoding: try bytes(of: directory.appendingPathComponent("modules.dep")), as: UTF8.self)
        .split(separator: "\n")
    var moduleNames = Set<String>()
    for line in depLines {
        let path = String(line.prefix { $0 != ":" })
        let name = moduleName(ofPath: path)
        moduleNames.insert(name)
        let expected = path.hasPrefix("/") ? path : directory.path + "/" + path
        let found = try context.lookup(name)
        #expect(
            found.contains { $0.name == name && $0.path?.string == expected }, "libkmod finds \(name) as \(found), not at \(expected)",
            sourceLocation: sourceLocation)
    }
    for entry in entries["modules.symbols.bin"] ?? [] {
        let found = try context.lookup(entry.key).map(\.name)
        #expect(found == [entry.values[0].value], "libkmod resolves \(entry.key) to \(found)", sourceLocation: sourceLocation)
    }
    // A key with fnmatch characters is a pattern, not something a device would ask for; a key that is also a
    // module name is answered from modules.dep.bin first.
    func plain(_ key: String) -> Bool { !key.isEmpty && !key.contains { "*?[]".contains($0) } && !moduleNames.contains(key) }
    for entry in entries["modules.alias.bin"] ?? [] where plain(entry.key) {
        let found = Set(try context.lookup(entry.key).map(\.name))
        #expect(
            !found.isDisjoint(with: entry.values.map(\.value)), "libkmod resolves alias \(entry.key) to \(found)",
            sourceLocation: sourceLocation)
    }
    let aliasKeys = Set((entries["modules.alias.bin"] ?? []).map(\.key))
    for entry in entries["modules.builtin.bin"] ?? [] where plain(entry.key) && !aliasKeys.contains(entry.key) {
        let found = try context.lookup(entry.key)
        #expect(
            found.contains { $0.name == entry.key && $0.path == nil }, "libkmod does not see built-in \(entry.key): \(found)",
            sourceLocation: sourceLocation)
    }
}

/// The module name depmod derives from a path: the file name up to its first `.`, with `-` as `_`.
func moduleName(ofPath path: String) -> String {
    let file = path.split(separator: "/").last.map(String.init) ?? path
    return String(file.prefix { $0 != "." }).replacingOccurrences(of: "-", with: "_")
}

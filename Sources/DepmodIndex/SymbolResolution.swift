import SystemSupport

/// Who provides each exported symbol, and which modules each module needs because of it
/// (`../shared/spec/depmod.md` §4).
struct SymbolResolution {
    /// Per module (array order), the modules it uses directly, in first-reference order.
    let directDependencies: [[Int]]
    /// Every symbol a module provides, with its owner, in kmod's symbol-table order (what `modules.symbols` lists).
    let ownedSymbols: [(name: String, owner: Int)]
    /// `-v`: one `PATH needs "SYMBOL": OWNER_PATH` line per new direct dependency.
    let explanations: [String]

    /// What to check about imports, and against which kernel symbols.
    struct Checks {
        var kernelSymbols: KernelSymbols?
        /// `-e`: report imports nobody provides, and CRC mismatches with `-E`.
        var reportUnresolved = false
        /// `-P`: a character to strip from the front of symbol names.
        var symbolPrefix: Character?
        /// `-v`: collect `explanations`.
        var explain = false
    }

    init(modules: [ModuleFile], facts: [ModuleFacts], checks: Checks, sink: any DiagnosticSink) {
        var table = [String: (owner: Int, crc: UInt64)]()
        table.reserveCapacity(facts.reduce(0) { $0 + $1.exports.count } + (checks.kernelSymbols?.crcByName.count ?? 0))
        for (name, crc) in checks.kernelSymbols?.crcByName ?? [:] { table[name] = (-1, crc) }
        for (index, module) in facts.enumerated() {
            for export in module.exports {
                table[stripping(checks.symbolPrefix, from: export.name)] = (index, export.crc ?? 0)
            }
        }

        let checkVersions = checks.reportUnresolved && checks.kernelSymbols?.hasVersions == true
        let reportUnknown = checks.reportUnresolved && checks.kernelSymbols != nil
        // The table is complete and only read from here on: resolve every module's imports on all cores.
        let resolved = Array(facts.indices).parallelMap { index -> (dependencies: [Int], explanations: [String], warnings: [String]) in
            var result = (dependencies: [Int](), explanations: [String](), warnings: [String]())
            for symbol in facts[index].imports {
                var key = symbol.name
                if key.hasPrefix(".") { key = String(key.dropFirst()) }
                if checks.symbolPrefix != nil { key = stripping(checks.symbolPrefix, from: key) }
                guard let entry = table[key] else {
                    if reportUnknown && !symbol.isWeak { result.warnings.append("\(modules[index].hostPath) needs unknown symbol \(key)") }
                    continue
                }
                if checkVersions && !symbol.isWeak && entry.crc != symbol.crc {
                    result.warnings.append("\(modules[index].hostPath) disagrees about version of symbol \(key)")
                }
                // Weak references create dependencies too; kernel symbols (no owner) do not. A module that imports
                // its own export depends on itself, which depmod reports as a cycle of one.
                // (A module needs a handful of others: a linear check beats hashing.)
                guard entry.owner >= 0, !result.dependencies.contains(entry.owner) else { continue }
                result.dependencies.append(entry.owner)
                if checks.explain {
                    result.explanations.append("\(modules[index].hostPath) needs \"\(key)\": \(modules[entry.owner].hostPath)")
                }
            }
            return result
        }
        for module in resolved { for warning in module.warnings { sink.warning(warning) } }
        let dependencies = resolved.map(\.dependencies)
        let explanations = resolved.flatMap(\.explanations)
        directDependencies = dependencies
        self.explanations = explanations
        let owned = table.compactMap { name, entry in entry.owner >= 0 ? (name: name, owner: entry.owner) : nil }
        ownedSymbols = HashTableOrder.symbols.sorted(owned, by: \.name)
    }

}

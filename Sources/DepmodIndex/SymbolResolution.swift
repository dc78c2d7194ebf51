import SystemSupport

/// Who provides each exported symbol, and which modules each module needs because of it
/// (docs/depmod-index.md, Symbols).
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
        let kernelSymbols = checks.kernelSymbols?.crcByName ?? [:]
        var table = SymbolOwners(capacity: facts.reduce(0) { $0 + $1.exports.count } + kernelSymbols.count)
        for (name, crc) in kernelSymbols { table.set(name, to: .init(module: -1, crc: crc)) }
        for (index, module) in facts.enumerated() {
            for export in module.exports {
                table.set(stripping(checks.symbolPrefix, from: export.name), to: .init(module: index, crc: export.crc ?? 0))
            }
        }

        let resolver = Resolver(
            modules: modules, checks: checks,
            cached: CachedOwners(table: table, strings: facts.lazy.compactMap(\.cachedStrings).first, prefix: checks.symbolPrefix))
        // The table is complete and only read from here on: resolve every module's imports on all cores.
        let resolved = table.withLookup { lookup in
            Array(facts.indices).parallelMap { index in resolver.resolve(facts[index], of: index, in: lookup) }
        }
        for module in resolved { for warning in module.warnings { sink.warning(warning) } }
        directDependencies = resolved.map(\.dependencies)
        explanations = resolved.flatMap(\.explanations)
        let owned = table.owners.indices.compactMap { entry in
            table.owners[entry].module >= 0 ? (name: table.keys[entry], owner: table.owners[entry].module) : nil
        }
        ownedSymbols = HashTableOrder.symbols.sorted(owned, by: \.name)
    }

    /// What resolving one module's imports gives.
    struct Resolved {
        var dependencies: [Int] = []
        var explanations: [String] = []
        var warnings: [String] = []
    }

    /// Resolves one module's imports against the finished table.
    private struct Resolver: Sendable {
        let modules: [ModuleFile]
        let checks: Checks
        let cached: CachedOwners?

        func resolve(_ facts: ModuleFacts, of index: Int, in table: SymbolOwners.Lookup) -> Resolved {
            var result = Resolved()
            switch facts.importList {
            case .cached(let imports) where cached?.strings === imports.strings:
                cached!.owners.withUnsafeBufferPointer { owners in
                    imports.strings.bytes.withUnsafeBytes { bytes in
                        for number in 0..<imports.count {
                            let record = imports.record(number, in: bytes)
                            take(owners[record.name], crc: record.crc, isWeak: record.isWeak, into: &result, index: index) {
                                key(imports.strings.string(record.name))
                            }
                        }
                    }
                }
            default:
                for symbol in facts.imports {
                    let owner = SymbolResolution.owner(of: symbol.name, in: table, strippingPrefix: checks.symbolPrefix)
                    take(owner, crc: symbol.crc, isWeak: symbol.isWeak, into: &result, index: index) { key(symbol.name) }
                }
            }
            return result
        }

        /// Adds what one import of module `index` means: a dependency on its owner, and the warnings `checks` ask for.
        private func take(
            _ owner: SymbolOwners.Owner?, crc: UInt64, isWeak: Bool, into result: inout Resolved, index: Int, name: () -> String
        ) {
            guard let owner else {
                if checks.reportUnresolved && checks.kernelSymbols != nil && !isWeak {
                    result.warnings.append("\(modules[index].hostPath) needs unknown symbol \(name())")
                }
                return
            }
            if checks.reportUnresolved && checks.kernelSymbols?.hasVersions == true && !isWeak && owner.crc != crc {
                result.warnings.append("\(modules[index].hostPath) disagrees about version of symbol \(name())")
            }
            // Weak references create dependencies too; kernel symbols (no owner) do not. A module that imports
            // its own export depends on itself, which depmod reports as a cycle of one.
            // (A module needs a handful of others: a linear check beats hashing.)
            guard owner.module >= 0, !result.dependencies.contains(owner.module) else { return }
            result.dependencies.append(owner.module)
            if checks.explain {
                result.explanations.append("\(modules[index].hostPath) needs \"\(name())\": \(modules[owner.module].hostPath)")
            }
        }

        private func key(_ name: String) -> String { SymbolResolution.key(name, checks.symbolPrefix) }
    }

    /// The owner of the symbol an import names: its name without a leading `.` (old PowerPC function
    /// descriptors) and without `-P`'s prefix. Looked up in the name's own bytes where it has them contiguous,
    /// which is almost always: no string is made per import.
    static func owner(of name: String, in table: SymbolOwners.Lookup, strippingPrefix prefix: Character?) -> SymbolOwners.Owner? {
        if prefix == nil, let found = name.utf8.withContiguousStorageIfAvailable({ table.owner(ofImportNamed: $0) }) {
            return found
        }
        var key = key(name, prefix)
        return key.withUTF8 { table.owner(of: $0) }
    }

    /// The table key of an imported name (see `owner(of:in:strippingPrefix:)`).
    static func key(_ name: String, _ prefix: Character?) -> String {
        stripping(prefix, from: name.utf8.first == UInt8(ascii: ".") ? String(name.dropFirst()) : name)
    }
}

/// The owner of every string of a parse cache's table, by string number: each name is looked up once, however
/// many of the 190,000 cached import records name it.
private struct CachedOwners: Sendable {
    let strings: CacheStrings
    let owners: [SymbolOwners.Owner?]

    init?(table: SymbolOwners, strings: CacheStrings?, prefix: Character?) {
        guard let strings else { return nil }
        self.strings = strings
        let chunk = 4096
        owners = table.withLookup { lookup in
            [SymbolOwners.Owner?](unsafeUninitializedCapacity: strings.count) { buffer, initialized in
                // Each chunk initialises its own slots exactly once; chunks never overlap.
                nonisolated(unsafe) let output = buffer.baseAddress!
                _ = Array(stride(from: 0, to: strings.count, by: chunk)).parallelMap { start in
                    for number in start..<min(start + chunk, strings.count) {
                        let owner =
                            prefix == nil
                            ? strings.withBytes(of: number) { lookup.owner(ofImportNamed: $0) }
                            : SymbolResolution.owner(of: strings.string(number), in: lookup, strippingPrefix: prefix)
                        (output + number).initialize(to: owner)
                    }
                }
                initialized = strings.count
            }
        }
    }
}

extension SymbolOwners.Lookup {
    /// The owner of an imported name given as bytes, a leading `.` dropped.
    func owner(ofImportNamed bytes: UnsafeBufferPointer<UInt8>) -> SymbolOwners.Owner? {
        owner(of: bytes.first == UInt8(ascii: ".") ? UnsafeBufferPointer(rebasing: bytes.dropFirst()) : bytes)
    }
}

extension ModuleFacts {
    /// The parse cache's string table, if the imports are still encoded in it.
    var cachedStrings: CacheStrings? {
        if case .cached(let imports) = importList { imports.strings } else { nil }
    }
}

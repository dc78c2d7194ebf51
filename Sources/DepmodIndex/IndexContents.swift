import SystemSupport

/// The bytes of every index file, made from the resolved module set (`../shared/spec/depmod.md` §6).
struct IndexContents {
    /// Modules in array order; a module's position is its priority in the `.bin` files.
    let modules: [ModuleFile]
    let facts: [ModuleFacts]
    /// Per module, the `modules.dep` line without its newline (`kernel/a.ko: kernel/b.ko`).
    let dependencyLines: [String]
    let ownedSymbols: [(name: String, owner: Int)]
    /// `modules.builtin` and `modules.builtin.modinfo`, nil when missing.
    let builtinList: [UInt8]?
    let builtinModinfo: [UInt8]?
    let layout: IndexLayout
    let warnDuplicates: Bool
    let sink: any DiagnosticSink

    func bytes(of file: IndexFile) throws(IndexFormatError) -> [UInt8] {
        switch file {
        case .dep: return text(dependencyLines.map { $0 + "\n" })
        case .depBin: return try index(dependencyLines.enumerated().map { (modules[$0].name, $1, UInt32($0)) }, file)
        case .alias: return text([IndexHeader.alias] + aliasLines())
        case .aliasBin: return try index(aliasKeys(), file)
        case .softdep: return text([IndexHeader.softdep] + softdepLines())
        case .symbols: return text([IndexHeader.symbols] + ownedSymbols.map { "alias symbol:\($0.name) \(modules[$0.owner].name)\n" })
        case .symbolsBin: return try index(ownedSymbols.map { ("symbol:" + $0.name, modules[$0.owner].name, UInt32($0.owner)) }, file)
        case .builtinBin:
            guard let builtinList else { return missing("modules.builtin") }
            return try index(BuiltinIndexes.moduleKeys(builtinList, sink: sink), file)
        case .builtinAliasBin:
            guard let builtinModinfo else { return missing("modules.builtin.modinfo") }
            return try index(BuiltinIndexes.aliasKeys(builtinModinfo, sink: sink), file)
        case .devname:
            let lines = devnameLines()
            return lines.isEmpty ? [] : text([IndexHeader.devname] + lines)
        }
    }

    private func aliasLines() -> [String] {
        facts.indices.flatMap { index in facts[index].values(of: "alias").map { "alias \($0) \(modules[index].name)\n" } }
    }

    private func aliasKeys() -> [(String, String, UInt32)] {
        facts.indices.flatMap { index in
            facts[index].values(of: "alias").compactMap { alias -> (String, String, UInt32)? in
                guard let key = AliasNormalization.normalize(alias) else {
                    sink.warning("Unmatched bracket in \(alias)")
                    return nil
                }
                return (key, modules[index].name, UInt32(index))
            }
        }
    }

    private func softdepLines() -> [String] {
        facts.indices.flatMap { index in facts[index].values(of: "softdep").map { "softdep \(modules[index].name) \($0)\n" } }
    }

    private func devnameLines() -> [String] {
        facts.indices.compactMap { index in
            let name = modules[index].name
            return DevnameEntry.from(module: name, aliases: facts[index].values(of: "alias")) { deviceName in
                sink.warning("Module '\(name)' has devname (\(deviceName)) but lacks major and minor information. Ignoring.")
            }?.line
        }
    }

    private func text(_ lines: [String]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count })
        for line in lines { bytes.append(contentsOf: line.utf8) }
        return bytes
    }

    private func index(_ entries: [(key: String, value: String, priority: UInt32)], _ file: IndexFile) throws(IndexFormatError) -> [UInt8] {
        var trie = IndexTrie()
        for entry in entries where !trie.add(key: entry.key, value: entry.value, priority: entry.priority) {
            sink.warning("\(file.fileName): '\(entry.key)' is not 7-bit ASCII; left out")
        }
        if warnDuplicates {
            for duplicate in trie.duplicateValues {
                sink.warning("\(file.fileName): duplicate value '\(duplicate.value)' for key '\(duplicate.key)'")
            }
        }
        return try trie.serialized(layout)
    }

    /// A missing builtin input still gives an (empty, 0-byte) output file, as depmod writes.
    private func missing(_ input: String) -> [UInt8] {
        sink.warning("could not open \(input): no such file; writing an empty index")
        return []
    }
}

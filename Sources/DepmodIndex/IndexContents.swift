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
        case .dep: return text { out in for line in dependencyLines { out.line(line) } }
        case .depBin: return try index(dependencyLines.enumerated().map { (modules[$0].name, $1, UInt32($0)) }, file)
        case .alias:
            return text { out in
                out.append(IndexHeader.alias)
                for index in facts.indices {
                    for alias in facts[index].values(of: "alias") { out.line("alias ", alias, " ", modules[index].name) }
                }
            }
        case .aliasBin: return try index(aliasKeys(), file)
        case .softdep:
            return text { out in
                out.append(IndexHeader.softdep)
                for index in facts.indices {
                    for value in facts[index].values(of: "softdep") { out.line("softdep ", modules[index].name, " ", value) }
                }
            }
        case .symbols:
            return text { out in
                out.append(IndexHeader.symbols)
                for symbol in ownedSymbols { out.line("alias symbol:", symbol.name, " ", modules[symbol.owner].name) }
            }
        case .symbolsBin: return try index(ownedSymbols.map { ("symbol:" + $0.name, modules[$0.owner].name, UInt32($0.owner)) }, file)
        case .builtinBin:
            guard let builtinList else { return missing("modules.builtin") }
            return try index(BuiltinIndexes.moduleKeys(builtinList, sink: sink), file)
        case .builtinAliasBin:
            guard let builtinModinfo else { return missing("modules.builtin.modinfo") }
            return try index(BuiltinIndexes.aliasKeys(builtinModinfo, sink: sink), file)
        case .devname:
            let lines = devnameLines()
            return lines.isEmpty
                ? []
                : text { out in
                    out.append(IndexHeader.devname)
                    for line in lines { out.append(line) }
                }
        }
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

    private func devnameLines() -> [String] {
        facts.indices.compactMap { index in
            let name = modules[index].name
            return DevnameEntry.from(module: name, aliases: facts[index].values(of: "alias")) { deviceName in
                sink.warning("Module '\(name)' has devname (\(deviceName)) but lacks major and minor information. Ignoring.")
            }?.line
        }
    }

    /// A text file's bytes, appended straight into one buffer.
    private func text(_ write: (inout TextBuffer) -> Void) -> [UInt8] {
        var buffer = TextBuffer()
        write(&buffer)
        return buffer.bytes
    }

    private func index(_ entries: [(key: String, value: String, priority: UInt32)], _ file: IndexFile) throws(IndexFormatError) -> [UInt8] {
        var trie = IndexTrie()
        for entry in entries where !trie.add(key: entry.key, value: entry.value, priority: entry.priority) {
            sink.warning("\(file.fileName): '\(entry.key)' left out (keys must be 7-bit ASCII, values free of NUL)")
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

/// Bytes of a text index file, built without intermediate strings.
struct TextBuffer {
    var bytes: [UInt8] = []

    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends `parts` and a newline.
    mutating func line(_ parts: String...) {
        for part in parts { bytes.append(contentsOf: part.utf8) }
        bytes.append(UInt8(ascii: "\n"))
    }
}

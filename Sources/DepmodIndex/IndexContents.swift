import SystemSupport

/// The bytes of every index file, made from the resolved module set (docs/depmod-index.md, The ten files).
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
    var sink: any DiagnosticSink

    /// The same contents reporting to `sink` instead: each file made in parallel collects its own warnings, passed on
    /// in file order afterwards, so that depmod's output does not depend on which core finished first.
    func reporting(to sink: any DiagnosticSink) -> IndexContents {
        var copy = self
        copy.sink = sink
        return copy
    }

    func bytes(of file: IndexFile) throws(IndexFormatError) -> [UInt8] {
        switch file {
        case .dep: return text { out in for line in dependencyLines { out.line(line) } }
        case .depBin:
            return try index(file) { entries in
                entries.trie.reserveCapacity(
                    entries: dependencyLines.count, keyBytes: modules.reduce(0) { $0 + $1.name.utf8.count },
                    valueBytes: dependencyLines.reduce(0) { $0 + $1.utf8.count })
                for (index, line) in dependencyLines.enumerated() {
                    entries.add(key: modules[index].name, value: line, priority: UInt32(index))
                }
            }
        case .alias:
            return text { out in
                out.append(IndexHeader.alias)
                for index in facts.indices {
                    for alias in facts[index].values(of: "alias") { out.line("alias ", alias, " ", modules[index].name) }
                }
            }
        case .aliasBin:
            return try index(file) { entries in
                for index in facts.indices {
                    for entry in facts[index].modinfo where entry.key == "alias" {
                        entries.add(alias: entry.value, value: modules[index].name, priority: UInt32(index))
                    }
                }
            }
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
        case .symbolsBin:
            return try index(file) { entries in
                entries.trie.reserveCapacity(
                    entries: ownedSymbols.count, keyBytes: ownedSymbols.reduce(0) { $0 + "symbol:".utf8.count + $1.name.utf8.count },
                    valueBytes: ownedSymbols.reduce(0) { $0 + modules[$1.owner].name.utf8.count })
                for symbol in ownedSymbols {
                    entries.add(keyPrefix: "symbol:", key: symbol.name, value: modules[symbol.owner].name, priority: UInt32(symbol.owner))
                }
            }
        case .builtinBin:
            guard let builtinList else { return missing("modules.builtin") }
            return try index(file, BuiltinIndexes.moduleKeys(builtinList, sink: sink))
        case .builtinAliasBin:
            guard let builtinModinfo else { return missing("modules.builtin.modinfo") }
            return try index(file, BuiltinIndexes.aliasKeys(builtinModinfo, sink: sink))
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

    /// A binary index of what `add` puts in. Entries go straight into the trie, with no list of strings in
    /// between: `modules.alias.bin` alone has ~26,000.
    private func index(_ file: IndexFile, _ add: (inout IndexEntries) -> Void) throws(IndexFormatError) -> [UInt8] {
        var entries = IndexEntries(file: file, sink: sink)
        add(&entries)
        if warnDuplicates {
            for duplicate in entries.trie.duplicateValues {
                sink.warning("\(file.fileName): duplicate value '\(duplicate.value)' for key '\(duplicate.key)'")
            }
        }
        return try entries.trie.serialized(layout)
    }

    private func index(_ file: IndexFile, _ list: [(key: String, value: String, priority: UInt32)]) throws(IndexFormatError) -> [UInt8] {
        try index(file) { entries in
            for entry in list { entries.add(key: entry.key, value: entry.value, priority: entry.priority) }
        }
    }

    /// A missing builtin input still gives an (empty, 0-byte) output file, as depmod writes.
    private func missing(_ input: String) -> [UInt8] {
        sink.warning("could not open \(input): no such file; writing an empty index")
        return []
    }
}

/// Fills the trie of one binary index, reporting the entries it leaves out.
struct IndexEntries {
    var trie = IndexTrie()
    let file: IndexFile
    let sink: any DiagnosticSink
    /// Reused for every normalised alias.
    private var key: [UInt8] = []

    init(file: IndexFile, sink: any DiagnosticSink) {
        self.file = file
        self.sink = sink
    }

    mutating func add(keyPrefix: String = "", key: String, value: String, priority: UInt32) {
        if !trie.add(keyPrefix: keyPrefix, key: key, value: value, priority: priority) { reportLeftOut(keyPrefix + key) }
    }

    /// Adds `value` under the normalised `alias`, or reports an alias that cannot be normalised.
    mutating func add(alias: String, value: String, priority: UInt32) {
        key.removeAll(keepingCapacity: true)
        guard AliasNormalization.normalize(alias, appendingTo: &key) else {
            sink.warning("Unmatched bracket in \(alias)")
            return
        }
        if !trie.add(key: key, value: value, priority: priority) { reportLeftOut(String(decoding: key, as: UTF8.self)) }
    }

    private func reportLeftOut(_ key: String) {
        sink.warning("\(file.fileName): '\(key)' left out (keys must be 7-bit ASCII, values free of NUL)")
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

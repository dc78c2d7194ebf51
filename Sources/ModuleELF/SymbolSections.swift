import CLibELF

extension KernelModule {
    /// `__versions`: fixed 64-byte entries on ELF64 (8-byte CRC, then a NUL-padded name) and the same 64 bytes on
    /// ELF32 with a 4-byte CRC. A leading `.` (PPC64 function descriptors) is dropped, as libkmod does.
    static func readVersions(_ elf: ELFImage) throws(ModuleELFError) -> [SymbolVersion] {
        guard let section = elf.section(named: "__versions") else { return [] }
        let entrySize: UInt64 = 64
        let crcWidth = elf.is64Bit ? 8 : 4
        guard section.size % entrySize == 0, elf.contents(of: section) != nil else {
            throw .malformedSection(name: "__versions", detail: "size \(section.size) is not a whole number of entries")
        }
        var versions = [SymbolVersion]()
        var offset = section.offset
        while offset < section.offset + section.size {
            guard let crc = elf.reader.unsigned(at: offset, width: crcWidth),
                let nameBytes = elf.reader.slice(offset: offset + UInt64(crcWidth), length: entrySize - UInt64(crcWidth))
            else { throw .malformedSection(name: "__versions", detail: "entry outside the file") }
            var name = nameBytes.cString()
            if name.hasPrefix(".") { name.removeFirst() }
            versions.append(SymbolVersion(name: name, crc: crc))
            offset += entrySize
        }
        return versions
    }

    /// Exports from `__crc_NAME` symbols (CRC = the value for ABS/UNDEF symbols, else 4 bytes at the symbol's
    /// place in its section); with none, the names in `__ksymtab_strings`, without CRCs.
    static func readExports(_ elf: ELFImage, symbols: [ELFSymbol]?) -> [ExportedSymbol] {
        var exports = [ExportedSymbol]()
        for symbol in symbols ?? [] where symbol.nameHasPrefix("__crc_") {
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: symbol.nameBytes.dropFirst(6)), as: UTF8.self)
            exports.append(ExportedSymbol(name: name, crc: crcValue(of: symbol, in: elf)))
        }
        if !exports.isEmpty { return exports }
        guard let section = elf.section(named: "__ksymtab_strings"), let contents = elf.contents(of: section) else {
            return []
        }
        return nulSeparatedStrings(contents).map { ExportedSymbol(name: String(decoding: $0, as: UTF8.self), crc: nil) }
    }

    /// The CRC a `__crc_` symbol carries, or nil when it points outside its section or the file.
    private static func crcValue(of symbol: ELFSymbol, in elf: ELFImage) -> UInt64? {
        let index = Int(symbol.sectionIndex)
        if index == Int(SHN_ABS) || index == Int(SHN_UNDEF) { return symbol.value }
        guard index < elf.sections.count else { return nil }
        let (offset, overflow) = elf.sections[index].offset.addingReportingOverflow(symbol.value)
        guard !overflow else { return nil }
        return elf.reader.unsigned(at: offset, width: 4)
    }

    /// Undefined symbols in symtab order (CRC from `__versions` by exact name, else 0), then the `__versions`
    /// entries no symbol used (typically `module_layout`). No symtab means no imports.
    static func readImports(symbols: [ELFSymbol]?, versions: [SymbolVersion]) -> [ImportedSymbol] {
        guard let symbols else { return [] }
        let undefined = symbols.filter { $0.sectionIndex == UInt16(SHN_UNDEF) && !$0.nameBytes.isEmpty && $0.type != stTypeSparcRegister }
        var imports = [ImportedSymbol]()
        imports.reserveCapacity(max(undefined.count, versions.count))
        // modpost writes `__versions` in symbol-table order, so nearly always entry i belongs to undefined symbol
        // i: match by walking both lists, and fall back to a lookup by name only when they diverge.
        var matched = 0
        for symbol in undefined {
            guard matched < versions.count, versions[matched].name.utf8.elementsEqual(symbol.nameBytes) else { break }
            imports.append(
                ImportedSymbol(
                    name: versions[matched].name, crc: versions[matched].crc, binding: symbol.binding == STB_WEAK ? .weak : .strong))
            matched += 1
        }
        // The entries left over are imports of their own (typically just `module_layout`) — unless a symbol already
        // used that name, a case the lookup by name settles.
        let rest = versions[matched...]
        if imports.count == undefined.count && rest.count <= 4
            && !rest.contains(where: { leftover in versions[..<matched].contains { $0.name == leftover.name } })
        {
            for version in rest { imports.append(ImportedSymbol(name: version.name, crc: version.crc, binding: .strong)) }
            return imports
        }
        return readImportsByName(undefined, versions: versions)
    }

    /// The general case: each undefined symbol's CRC is that of the first `__versions` entry of its name (0 if
    /// none); then every entry whose name no symbol used.
    private static func readImportsByName(_ undefined: [ELFSymbol], versions: [SymbolVersion]) -> [ImportedSymbol] {
        var firstVersion = [String: Int](minimumCapacity: versions.count)
        for (position, version) in versions.enumerated() where firstVersion[version.name] == nil {
            firstVersion[version.name] = position
        }
        var used = [Bool](repeating: false, count: versions.count)
        var imports = [ImportedSymbol]()
        imports.reserveCapacity(max(undefined.count, versions.count))
        for symbol in undefined {
            let name = symbol.name
            var crc: UInt64 = 0
            if let position = firstVersion[name] {
                used[position] = true
                crc = versions[position].crc
            }
            imports.append(ImportedSymbol(name: name, crc: crc, binding: symbol.binding == STB_WEAK ? .weak : .strong))
        }
        for (position, version) in versions.enumerated() where !used[firstVersion[version.name] ?? position] {
            imports.append(ImportedSymbol(name: version.name, crc: version.crc, binding: .strong))
        }
        return imports
    }
}

/// SPARC's `STT_REGISTER` symbol type, which libkmod skips.
private let stTypeSparcRegister: UInt8 = 13

/// Writes minimal relocatable ELF "modules" of any class and byte order, for the layouts no installed kernel has
/// (ELF32, big-endian). Sections: null, `.modinfo`, `__versions`, `.data` (holding CRC values), `.symtab`,
/// `.strtab`, `.shstrtab`, section headers last — the shape `ld -r` gives kernel modules.
public struct SyntheticModule {
    public var is64Bit: Bool
    public var bigEndian: Bool
    public var modinfo: [String]
    /// `__versions` entries.
    public var versions: [(name: String, crc: UInt64)]
    /// Exported symbols with the CRC stored for them in `.data` (`__crc_NAME`).
    public var exports: [(name: String, crc: UInt32)]
    /// Undefined symbols, weak or not.
    public var imports: [(name: String, weak: Bool)]

    public init(
        is64Bit: Bool, bigEndian: Bool, modinfo: [String], versions: [(name: String, crc: UInt64)],
        exports: [(name: String, crc: UInt32)], imports: [(name: String, weak: Bool)]
    ) {
        self.is64Bit = is64Bit
        self.bigEndian = bigEndian
        self.modinfo = modinfo
        self.versions = versions
        self.exports = exports
        self.imports = imports
    }

    private func integer(_ value: UInt64, width: Int) -> [UInt8] {
        let little = (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
        return bigEndian ? little.reversed() : little
    }

    private func word(_ value: Int) -> [UInt8] { integer(UInt64(value), width: is64Bit ? 8 : 4) }

    public func bytes() -> [UInt8] {
        let modinfoSection: [UInt8] = modinfo.flatMap { Array($0.utf8) + [0] }
        let crcWidth = is64Bit ? 8 : 4
        var versionsSection = [UInt8]()
        for entry in versions {
            let name = Array(Array(entry.name.utf8).prefix(64 - crcWidth - 1))
            versionsSection += integer(entry.crc, width: crcWidth) + name
            versionsSection += [UInt8](repeating: 0, count: 64 - crcWidth - name.count)
        }
        var dataSection = [UInt8]()
        for export in exports { dataSection += integer(UInt64(export.crc), width: 4) }

        var strtab: [UInt8] = [0]
        func addString(_ name: String) -> Int { defer { strtab += Array(name.utf8) + [0] }; return strtab.count }
        // Section indices: 1 .modinfo, 2 __versions, 3 .data, 4 .symtab, 5 .strtab, 6 .shstrtab.
        var symbols = [(name: Int, value: Int, info: UInt8, shndx: UInt16)]()
        for (index, export) in exports.enumerated() {
            symbols.append((addString("__crc_" + export.name), index * 4, 0x11, 3))  // GLOBAL OBJECT in .data
        }
        for symbol in imports { symbols.append((addString(symbol.name), 0, symbol.weak ? 0x20 : 0x10, 0)) }  // WEAK/GLOBAL NOTYPE UNDEF
        let symbolSize = is64Bit ? 24 : 16
        var symtab = [UInt8](repeating: 0, count: symbolSize)  // index 0
        for symbol in symbols {
            if is64Bit {
                symtab +=
                    integer(UInt64(symbol.name), width: 4) + [symbol.info, 0] + integer(UInt64(symbol.shndx), width: 2)
                    + integer(UInt64(symbol.value), width: 8) + integer(4, width: 8)
            } else {
                symtab +=
                    integer(UInt64(symbol.name), width: 4) + integer(UInt64(symbol.value), width: 4)
                    + integer(4, width: 4) + [symbol.info, 0] + integer(UInt64(symbol.shndx), width: 2)
            }
        }
        let names = ["", ".modinfo", "__versions", ".data", ".symtab", ".strtab", ".shstrtab"]
        var shstrtab = [UInt8]()
        var nameOffsets = [Int]()
        for name in names { nameOffsets.append(shstrtab.count); shstrtab += Array(name.utf8) + [0] }

        let headerSize = is64Bit ? 64 : 52
        var body = [UInt8]()
        var placed = [(offset: Int, size: Int)]()
        let contentsInOrder: [[UInt8]] = [modinfoSection, versionsSection, dataSection, symtab, strtab, shstrtab]
        for contents in contentsInOrder {
            while (headerSize + body.count) % 8 != 0 { body.append(0) }
            placed.append((headerSize + body.count, contents.count))
            body += contents
        }
        while (headerSize + body.count) % 8 != 0 { body.append(0) }
        let sectionHeaderOffset = headerSize + body.count
        let types: [UInt32] = [1, 1, 1, 2, 3, 3]  // PROGBITS ×3, SYMTAB, STRTAB ×2
        var sectionHeaders = [UInt8](repeating: 0, count: is64Bit ? 64 : 40)
        for index in 0..<6 {
            let link = index == 3 ? 5 : 0
            let info = index == 3 ? 1 : 0
            let entrySize = index == 3 ? symbolSize : 0
            sectionHeaders +=
                integer(UInt64(nameOffsets[index + 1]), width: 4) + integer(UInt64(types[index]), width: 4)
                + word(index < 3 ? 2 : 0) + word(0) + word(placed[index].offset) + word(placed[index].size)
                + integer(UInt64(link), width: 4) + integer(UInt64(info), width: 4) + word(1) + word(entrySize)
        }
        var header: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, is64Bit ? 2 : 1, bigEndian ? 2 : 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        header += integer(1, width: 2)  // ET_REL
        header += integer(UInt64(is64Bit ? 22 : 2), width: 2)  // e_machine: S390 / SPARC, both real big-endian users
        header += integer(1, width: 4) + word(0) + word(0) + word(sectionHeaderOffset) + integer(0, width: 4)
        header += integer(UInt64(headerSize), width: 2) + integer(0, width: 2) + integer(0, width: 2)
        header += integer(UInt64(is64Bit ? 64 : 40), width: 2) + integer(7, width: 2) + integer(6, width: 2)
        return header + body + sectionHeaders
    }
}

import CLibELF

#if canImport(Glibc)
    import Glibc
#endif

/// One section header, decoded from the image into a plain value.
struct SectionHeader {
    let index: Int
    /// The name's bytes in the section-name table (no NUL); valid while the image is.
    let nameBytes: UnsafeRawBufferPointer
    let type: UInt32
    let offset: UInt64
    let size: UInt64
    let link: UInt32
    let entrySize: UInt64
}

/// An ELF symbol table entry. The name stays bytes in the string table until asked for: most symbols of a
/// module are local definitions nobody needs by name, and making 4,000 modules' worth of strings is measurable.
struct ELFSymbol {
    /// The name's bytes (without NUL), inside the image; valid only while the image is.
    let nameBytes: UnsafeRawBufferPointer
    let value: UInt64
    let sectionIndex: UInt16
    let binding: UInt8
    let type: UInt8

    var name: String { String(decoding: nameBytes, as: UTF8.self) }

    /// Whether the name starts with `prefix` (ASCII), without making a string.
    func nameHasPrefix(_ prefix: StaticString) -> Bool {
        guard nameBytes.count >= prefix.utf8CodeUnitCount else { return false }
        return memcmp(nameBytes.baseAddress!, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
    }
}

/// A kernel-module image opened through libelf: the header facts and the section table, plus symbol reading.
///
/// libelf's `Elf *` lives only inside `ELFImage.withImage`, which calls `elf_end` on every path, so the handle
/// is released exactly once and never outlives the buffer it points into.
struct ELFImage {
    let reader: ByteReader
    let is64Bit: Bool
    let machine: UInt16
    let sections: [SectionHeader]

    /// Opens `bytes` (which libelf may rewrite in place, hence mutable) with `elf_memory`, validates the header
    /// the way libkmod does, and runs `body` with the image.
    static func withImage<R>(
        _ bytes: UnsafeMutableRawBufferPointer, _ body: (ELFImage) throws(ModuleELFError) -> R
    ) throws(ModuleELFError) -> R {
        guard bytes.count >= 16, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else {
            throw .notELF
        }
        _ = libelfReady
        guard let elf = elf_memory(bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count) else {
            throw .libelf(lastLibelfError())
        }
        defer { elf_end(elf) }
        return try body(try ELFImage(elf: elf, bytes: UnsafeRawBufferPointer(bytes)))
    }

    private init(elf: OpaquePointer, bytes: UnsafeRawBufferPointer) throws(ModuleELFError) {
        guard elf_kind(elf) == ELF_K_ELF else { throw .notELF }
        var header = GElf_Ehdr()
        guard gelf_getehdr(elf, &header) != nil else { throw .malformedHeader(lastLibelfError()) }
        let elfClass = gelf_getclass(elf)
        guard elfClass == ELFCLASS32 || elfClass == ELFCLASS64 else { throw .malformedHeader("unknown ELF class") }
        is64Bit = elfClass == ELFCLASS64
        let data = bytes[Int(EI_DATA)]
        guard data == ELFDATA2LSB || data == ELFDATA2MSB else { throw .malformedHeader("unknown byte order") }
        reader = ByteReader(bytes: bytes, bigEndian: data == ELFDATA2MSB)
        machine = header.e_machine

        let expectedEntrySize = is64Bit ? 64 : 40
        guard header.e_shentsize == expectedEntrySize else {
            throw .malformedHeader("section header size \(header.e_shentsize), expected \(expectedEntrySize)")
        }
        var count = 0
        guard elf_getshdrnum(elf, &count) == 0 else { throw .malformedHeader(lastLibelfError()) }
        var namesIndex = 0
        guard elf_getshdrstrndx(elf, &namesIndex) == 0 else { throw .malformedHeader(lastLibelfError()) }
        sections = try Self.readSections(header: header, count: count, namesIndex: namesIndex, reader: reader, is64Bit: is64Bit)
    }

    /// Decodes every section header straight from the (bounds-checked) table in the image's byte order — the
    /// same fields `gelf_getshdr` gives, without a library call and a name string per section — and resolves
    /// names in the section-name table, which must end in NUL.
    private static func readSections(
        header: GElf_Ehdr, count: Int, namesIndex: Int, reader: ByteReader, is64Bit: Bool
    ) throws(ModuleELFError) -> [SectionHeader] {
        let entrySize = is64Bit ? 64 : 40
        let (tableSize, overflow) = UInt64(count).multipliedReportingOverflow(by: UInt64(entrySize))
        guard !overflow, let table = reader.slice(offset: header.e_shoff, length: tableSize) else {
            throw .malformedHeader("section table lies outside the file")
        }
        let field = FieldReader(bigEndian: reader.bigEndian)
        func decode(_ index: Int) -> (name: UInt32, type: UInt32, offset: UInt64, size: UInt64, link: UInt32, entrySize: UInt64) {
            let base = index * entrySize
            if is64Bit {
                return (
                    field.u32(table, base), field.u32(table, base + 4), field.u64(table, base + 24), field.u64(table, base + 32),
                    field.u32(table, base + 40), field.u64(table, base + 56)
                )
            }
            return (
                field.u32(table, base), field.u32(table, base + 4), UInt64(field.u32(table, base + 16)),
                UInt64(field.u32(table, base + 20)), field.u32(table, base + 24), UInt64(field.u32(table, base + 36))
            )
        }
        guard namesIndex < count else { throw .malformedHeader("bad section-name string table") }
        let namesHeader = decode(namesIndex)
        guard let names = reader.slice(offset: namesHeader.offset, length: namesHeader.size), names.last == 0 else {
            throw .malformedHeader("bad section-name string table")
        }
        var sections = [SectionHeader]()
        sections.reserveCapacity(count)
        for index in 0..<count {
            let raw = decode(index)
            var name = UnsafeRawBufferPointer(start: nil, count: 0)
            if Int(raw.name) < names.count {
                let start = names.baseAddress! + Int(raw.name)
                name = UnsafeRawBufferPointer(start: start, count: strlen(start.assumingMemoryBound(to: CChar.self)))
            }
            sections.append(
                SectionHeader(
                    index: index, nameBytes: name, type: raw.type, offset: raw.offset, size: raw.size, link: raw.link,
                    entrySize: raw.entrySize))
        }
        return sections
    }

    /// The first section (index ≥ 1) called `name`, as libkmod finds sections.
    func section(named name: StaticString) -> SectionHeader? {
        sections.dropFirst().first {
            $0.nameBytes.count == name.utf8CodeUnitCount && memcmp($0.nameBytes.baseAddress!, name.utf8Start, name.utf8CodeUnitCount) == 0
        }
    }

    /// The contents of `section`, bounds-checked; nil for `SHT_NOBITS` and out-of-range sections.
    func contents(of section: SectionHeader) -> UnsafeRawBufferPointer? {
        guard section.type != SHT_NOBITS else { return nil }
        return reader.slice(offset: section.offset, length: section.size)
    }

    /// Every symbol of `.symtab` from index 1 on; nil when `.symtab` or its string table is missing or malformed.
    /// Entries are decoded straight from the (bounds-checked) section in the image's byte order: one call per
    /// symbol into libelf (`gelf_getsym`) costs more than the decoding itself.
    func symbols() -> [ELFSymbol]? {
        guard let symtab = section(named: ".symtab"), symtab.type == SHT_SYMTAB, let table = contents(of: symtab),
            Int(symtab.link) < sections.count, let strings = contents(of: sections[Int(symtab.link)])
        else { return nil }
        let entrySize = is64Bit ? 24 : 16
        let count = table.count / entrySize
        var symbols = [ELFSymbol]()
        symbols.reserveCapacity(max(count - 1, 0))
        let table32 = FieldReader(bigEndian: reader.bigEndian)
        for index in 1..<max(count, 1) {
            let base = index * entrySize
            let nameOffset = Int(table32.u32(table, base))
            let value: UInt64
            let info: UInt8
            let sectionIndex: UInt16
            if is64Bit {
                info = table[base + 4]
                sectionIndex = table32.u16(table, base + 6)
                value = table32.u64(table, base + 8)
            } else {
                value = UInt64(table32.u32(table, base + 4))
                info = table[base + 12]
                sectionIndex = table32.u16(table, base + 14)
            }
            var name = UnsafeRawBufferPointer(start: nil, count: 0)
            if nameOffset < strings.count {
                let start = strings.baseAddress! + nameOffset
                let end = memchr(start, 0, strings.count - nameOffset).map { UnsafeRawPointer($0) } ?? strings.baseAddress! + strings.count
                name = UnsafeRawBufferPointer(start: start, count: end - start)
            }
            symbols.append(ELFSymbol(nameBytes: name, value: value, sectionIndex: sectionIndex, binding: info >> 4, type: info & 0xF))
        }
        return symbols
    }
}

/// Fixed-width reads at offsets already known to be inside a table, in the image's byte order.
private struct FieldReader {
    let bigEndian: Bool

    func u16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw)
    }

    func u32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
    }

    func u64(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        return bigEndian ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw)
    }
}

/// `elf_version(EV_CURRENT)`, which libelf requires once before any other call.
private let libelfReady: Void = { _ = elf_version(UInt32(EV_CURRENT)) }()

/// libelf's message for its last error (`elf_errmsg(-1)`).
private func lastLibelfError() -> String {
    elf_errmsg(-1).map { String(cString: $0) } ?? "unknown libelf error"
}

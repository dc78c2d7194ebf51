extension KernelModule {
    /// The `.modinfo` strings: leading NULs skipped, split on runs of NULs (the last may be unterminated), each
    /// cut at its first `=` into key and value (no `=`: value ""). A module without `.modinfo` has none.
    static func readModinfo(_ elf: ELFImage) throws(ModuleELFError) -> [ModinfoEntry] {
        guard let section = elf.section(named: ".modinfo") else { return [] }
        guard let contents = elf.contents(of: section) else {
            throw .malformedSection(name: ".modinfo", detail: "contents lie outside the file")
        }
        return nulSeparatedStrings(contents).map { string in
            guard let equals = string.firstIndex(of: UInt8(ascii: "=")) else {
                return ModinfoEntry(key: String(decoding: string, as: UTF8.self), value: "")
            }
            return ModinfoEntry(
                key: String(decoding: string[..<equals], as: UTF8.self),
                value: String(decoding: string[(equals + 1)...], as: UTF8.self))
        }
    }

    /// The non-empty strings of a NUL-separated string table, in order.
    static func nulSeparatedStrings(_ contents: UnsafeRawBufferPointer) -> [Slice<UnsafeRawBufferPointer>] {
        contents.split(separator: 0, omittingEmptySubsequences: true)
    }
}

import SystemPackage
import SystemSupport

/// The symbols vmlinux itself exports, from `Module.symvers` (`-E`, with CRCs) or `System.map` (`-F`). They
/// satisfy imports without creating dependencies, and let `-e` report what nothing provides
/// (docs/depmod-index.md, Symbols: kernel symbols).
public struct KernelSymbols: Sendable, Equatable {
    /// Symbol name → CRC (0 from `System.map`).
    public var crcByName: [String: UInt64]
    /// Whether the CRCs are real (`Module.symvers`), so mismatches can be reported.
    public var hasVersions: Bool

    /// Symbols every module may reference that no symbol file lists.
    static let alwaysPresent = ["__this_module", "_GLOBAL_OFFSET_TABLE_", "TOC."]

    /// Parses `Module.symvers`: `CRC SYMBOL WHERE [TYPE [NAMESPACE]]`, keeping the rows `WHERE` is `vmlinux`.
    public static func moduleSymvers(_ text: String, symbolPrefix: Character? = nil) -> KernelSymbols {
        var symbols = [String: UInt64]()
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 3, fields[2] == "vmlinux" else { continue }
            var crcText = fields[0]
            if crcText.hasPrefix("0x") || crcText.hasPrefix("0X") { crcText = crcText.dropFirst(2) }
            symbols[stripping(symbolPrefix, from: String(fields[1]))] = UInt64(crcText, radix: 16) ?? 0
        }
        return KernelSymbols(adding: symbols, hasVersions: true)
    }

    /// Parses `System.map`: `ADDRESS TYPE NAME`, keeping names that start with `__ksymtab_` (after the prefix).
    public static func systemMap(_ text: String, symbolPrefix: Character? = nil) -> KernelSymbols {
        var symbols = [String: UInt64]()
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 3 else { continue }
            let name = stripping(symbolPrefix, from: String(fields[2]))
            if name.hasPrefix("__ksymtab_") { symbols[String(name.dropFirst("__ksymtab_".count))] = 0 }
        }
        return KernelSymbols(adding: symbols, hasVersions: false)
    }

    private init(adding symbols: [String: UInt64], hasVersions: Bool) {
        var symbols = symbols
        for name in Self.alwaysPresent { symbols[name] = 0 }
        crcByName = symbols
        self.hasVersions = hasVersions
    }

}

/// `name` without one leading `prefix` character (depmod's `-P`), or unchanged.
func stripping(_ prefix: Character?, from name: String) -> String {
    guard let prefix, name.first == prefix else { return name }
    return String(name.dropFirst())
}

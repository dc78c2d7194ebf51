/// The ten files depmod writes, in the order it writes them. Adding an index file means one case here and one
/// branch in `IndexContents.bytes(of:)`.
public enum IndexFile: String, CaseIterable, Sendable {
    case dep = "modules.dep"
    case depBin = "modules.dep.bin"
    case alias = "modules.alias"
    case aliasBin = "modules.alias.bin"
    case softdep = "modules.softdep"
    case symbols = "modules.symbols"
    case symbolsBin = "modules.symbols.bin"
    case builtinBin = "modules.builtin.bin"
    case builtinAliasBin = "modules.builtin.alias.bin"
    case devname = "modules.devname"

    /// The file name inside the module directory.
    public var fileName: String { rawValue }

    /// The text files, in the order `depmod -n` prints them.
    public static let dryRunFiles: [IndexFile] = [.dep, .alias, .softdep, .symbols, .devname]
}

/// Text-file headers, each followed by a newline.
enum IndexHeader {
    static let alias = "# Aliases extracted from modules themselves.\n"
    static let softdep = "# Soft dependencies extracted from modules themselves.\n"
    static let symbols = "# Aliases for symbols, used by symbol_request().\n"
    static let devname = "# Device nodes to trigger on-demand module loading.\n"
}

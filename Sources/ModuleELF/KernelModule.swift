/// One `key=value` string of a module's `.modinfo` section.
public struct ModinfoEntry: Sendable, Hashable {
    public let key: String
    public let value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// A symbol a module exports, with its modversions CRC when the module carries one (`__crc_NAME`).
public struct ExportedSymbol: Sendable, Hashable {
    public let name: String
    public let crc: UInt64?

    public init(name: String, crc: UInt64?) {
        self.name = name
        self.crc = crc
    }
}

/// A symbol a module needs from the kernel or another module, with the CRC it was built against (0 if none).
public struct ImportedSymbol: Sendable, Hashable {
    public enum Binding: Sendable, Hashable { case strong, weak }
    public let name: String
    public let crc: UInt64
    public let binding: Binding

    public init(name: String, crc: UInt64, binding: Binding) {
        self.name = name
        self.crc = crc
        self.binding = binding
    }
}

/// One `__versions` entry: a symbol and the CRC the module expects it to have.
public struct SymbolVersion: Sendable, Hashable {
    public let name: String
    public let crc: UInt64

    public init(name: String, crc: UInt64) {
        self.name = name
        self.crc = crc
    }
}

/// Which parts of a module image to read: `modinfo` needs `.modinfo` and the signature, indexing needs `.modinfo`
/// and the symbols.
public struct ModuleParts: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The `.modinfo` strings.
    public static let modinfo = ModuleParts(rawValue: 1)
    /// Exports, imports and `__versions`.
    public static let symbols = ModuleParts(rawValue: 2)
    /// The appended signature's details (its PKCS#7 signer); whether a trailer exists is always known.
    public static let signature = ModuleParts(rawValue: 4)
    public static let all: ModuleParts = [.modinfo, .symbols, .signature]
}

/// Everything kmodmgr reads from a kernel module (`.ko`) image, in the order and with the rules libkmod uses
/// (docs/depmod-index.md, Reading a module and Symbols).
public struct KernelModule: Sendable {
    /// Whether the image is ELFCLASS64.
    public let is64Bit: Bool
    /// Whether the image is big-endian.
    public let isBigEndian: Bool
    /// `e_machine` (62 = x86-64).
    public let machine: UInt16
    /// The `.modinfo` strings in section order.
    public let modinfo: [ModinfoEntry]
    /// The parts that were read; the others are empty.
    public let parts: ModuleParts
    /// Exported symbols: from `__crc_*` symbols, else from `__ksymtab_strings` (then without CRCs).
    public let exports: [ExportedSymbol]
    /// Undefined symbols in symtab order, then the `__versions` entries no symbol matched.
    public let imports: [ImportedSymbol]
    /// The `__versions` section, in section order.
    public let versions: [SymbolVersion]
    /// Whether the module has a `__versions` section at all, even an empty one. The kernel tells the two apart:
    /// none at all is a forced load (`try_to_force_load`); a section without a symbol's entry is "no symbol
    /// version for X" (refused by Debian's kernels). A module built without `Module.symvers` has an empty one.
    public let hasVersionsSection: Bool
    /// The appended signature, if the image ends with one that libkmod can describe.
    public let signature: ModuleSignature?
    /// Whether the image ends with the signature magic at all (even one whose details cannot be read).
    public let hasSignatureTrailer: Bool

    /// Parses a plain (decompressed) module image.
    ///
    /// The buffer is taken by value because libelf may rewrite it in place; pass it with `consume` to avoid a copy.
    public static func parse(_ bytes: consuming [UInt8], parts: ModuleParts = .all) throws(ModuleELFError) -> KernelModule {
        var image = bytes
        let result = image.withUnsafeMutableBytes { buffer in
            Result { () throws(ModuleELFError) in try parse(image: buffer, parts: parts) }
        }
        return try result.get()
    }

    /// Parses a plain module image in place (libelf may rewrite `image`; it must not be shared).
    public static func parse(image: UnsafeMutableRawBufferPointer, parts: ModuleParts = .all) throws(ModuleELFError) -> KernelModule {
        let readOnly = UnsafeRawBufferPointer(image)
        let signature = parts.contains(.signature) ? ModuleSignature.parse(moduleImage: readOnly) : nil
        let trailer = ModuleSignature.hasTrailer(readOnly)
        return try ELFImage.withImage(image) { (elf: ELFImage) throws(ModuleELFError) in
            try KernelModule(elf: elf, parts: parts, signature: signature, hasSignatureTrailer: trailer)
        }
    }

    private init(
        elf: ELFImage, parts: ModuleParts, signature: ModuleSignature?, hasSignatureTrailer: Bool
    ) throws(ModuleELFError) {
        self.parts = parts
        self.hasSignatureTrailer = hasSignatureTrailer
        is64Bit = elf.is64Bit
        isBigEndian = elf.reader.bigEndian
        machine = elf.machine
        self.signature = signature
        modinfo = parts.contains(.modinfo) ? try Self.readModinfo(elf) : []
        guard parts.contains(.symbols) else {
            (versions, exports, imports, hasVersionsSection) = ([], [], [], false)
            return
        }
        versions = try Self.readVersions(elf)
        hasVersionsSection = elf.section(named: "__versions") != nil
        let symbols = elf.symbols()
        exports = Self.readExports(elf, symbols: symbols)
        imports = Self.readImports(symbols: symbols, versions: versions)
    }

    /// The value of the first `.modinfo` entry called `key`.
    public func modinfoValue(_ key: String) -> String? {
        modinfo.first { $0.key == key }?.value
    }
}

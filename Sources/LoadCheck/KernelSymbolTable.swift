/// What a kernel and its modules export, as `Module.symvers` lists it (`CRC SYMBOL OWNER TYPE [NAMESPACE]`):
/// the table the kernel resolves a module's imports against.
public struct KernelSymbolTable: Sendable {
    public struct Export: Sendable, Equatable {
        public let crc: UInt64?
        /// `vmlinux` or the module path (`drivers/media/v4l2-core/videodev`) for in-tree exports; the module name
        /// for an out-of-tree module of the index.
        public let owner: String
        /// `EXPORT_SYMBOL_GPL`: usable only by GPL-compatible modules.
        public let gplOnly: Bool
        /// The symbol namespace an importer must declare with `import_ns=` (nil: none).
        public let namespace: String?

        public init(crc: UInt64?, owner: String, gplOnly: Bool, namespace: String?) {
            self.crc = crc
            self.owner = owner
            self.gplOnly = gplOnly
            self.namespace = namespace
        }
    }

    public private(set) var exports: [String: Export] = [:]

    public init() {}

    /// Parses `Module.symvers` text. Lines that do not have at least a CRC, a name and an owner are skipped.
    public init(moduleSymvers text: String) {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3 else { continue }
            var crcText = fields[0]
            if crcText.hasPrefix("0x") { crcText = crcText.dropFirst(2) }
            let namespace = fields.count >= 5 && !fields[4].isEmpty ? String(fields[4]) : nil
            exports[String(fields[1])] = Export(
                crc: UInt64(crcText, radix: 16), owner: String(fields[2]),
                gplOnly: fields.count >= 4 && fields[3].hasSuffix("_GPL"), namespace: namespace)
        }
    }

    /// Adds (or replaces) what one module exports, e.g. an out-of-tree module already installed for the kernel.
    public mutating func add(_ name: String, _ export: Export) {
        exports[name] = export
    }

    /// Whether nothing is known: the check then cannot judge imports.
    public var isEmpty: Bool { exports.isEmpty }
}

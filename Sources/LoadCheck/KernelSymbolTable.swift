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
    /// Whether a symbol file was read (even if no wanted symbol was in it).
    private var hasSource = false
    /// Whether the names came from a source without CRCs and GPL-only flags (`/proc/kallsyms`,
    /// `modules.symbols`) instead of `Module.symvers`.
    public private(set) var namesOnly = false

    public init() {}

    init(nameSource: Bool) {
        hasSource = true
        namesOnly = nameSource
    }

    /// Parses `Module.symvers` (tab-separated, one export per line). Lines without at least a CRC, a name and an
    /// owner are skipped. Works on the bytes: the file has 25,000 lines, and splitting Swift strings costs more
    /// than the rest of a check. With `wanted`, only those symbols are kept: checking one module needs a few dozen
    /// of the 25,000, and `install` checks before it can finish, so the rest would be time spent for nothing.
    public init(moduleSymvers bytes: [UInt8], only wanted: Set<String>? = nil) {
        hasSource = true
        exports.reserveCapacity(wanted?.count ?? bytes.count / 60)
        let filter = wanted.map(SymbolFilter.init)
        var owners = [ArraySlice<UInt8>: String]()
        bytes.withUnsafeBufferPointer { buffer in
            var lineStart = 0
            while lineStart < buffer.count {
                var lineEnd = lineStart
                while lineEnd < buffer.count && buffer[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                defer { lineStart = lineEnd + 1 }
                if let filter, !filter.mayContain(nameOfLine: buffer[lineStart..<lineEnd]) { continue }
                var fields = [Range<Int>]()
                var fieldStart = lineStart
                for index in lineStart...lineEnd where index == lineEnd || buffer[index] == UInt8(ascii: "\t") {
                    fields.append(fieldStart..<index)
                    fieldStart = index + 1
                }
                guard fields.count >= 3 else { continue }
                func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self) }
                if let wanted, !wanted.contains(text(fields[1])) { continue }
                let ownerBytes = bytes[fields[2]]
                let owner = owners[ownerBytes] ?? text(fields[2])
                owners[ownerBytes] = owner
                let type = fields.count >= 4 ? buffer[fields[3]] : buffer[0..<0]
                exports[text(fields[1])] = Export(
                    crc: Self.hex(buffer[fields[0]]), owner: owner, gplOnly: type.count >= 4 && type.suffix(4).elementsEqual("_GPL".utf8),
                    namespace: fields.count >= 5 && !fields[4].isEmpty ? text(fields[4]) : nil)
            }
        }
    }

    /// `0x1234abcd` (or without `0x`) as a number; nil if it is not hexadecimal.
    private static func hex(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> UInt64? {
        var digits = digits
        if digits.starts(with: "0x".utf8) { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 16 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt64(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt64(digit - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = value << 4 | UInt64(digit - UInt8(ascii: "A") + 10)
            default: return nil
            }
        }
        return value
    }

    /// Adds (or replaces) what one module exports, e.g. an out-of-tree module already installed for the kernel.
    public mutating func add(_ name: String, _ export: Export) {
        exports[name] = export
    }

    /// Whether no source of the kernel's own exports was read (only other packages' modules, if anything): the
    /// check then cannot judge imports, and a symbol it does not find is "not checked", never "unknown".
    public var isEmpty: Bool { !hasSource }
}

/// A quick first test of a `Module.symvers` line against the wanted names — by the name's length and first and
/// last bytes — so that only lines that may match are split and turned into strings.
private struct SymbolFilter {
    private let keys: Set<Int>

    init(_ names: Set<String>) {
        keys = Set(names.map { Self.key(Array($0.utf8)[...]) })
    }

    /// Whether the name field (the second, after the CRC) of `line` may be one of the wanted names.
    func mayContain(nameOfLine line: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard let tab = line.firstIndex(of: UInt8(ascii: "\t")) else { return false }
        let rest = line[(tab + 1)...]
        let end = rest.firstIndex(of: UInt8(ascii: "\t")) ?? rest.endIndex
        return keys.contains(Self.key(rest[..<end]))
    }

    private static func key<Bytes: BidirectionalCollection<UInt8>>(_ name: Bytes) -> Int {
        guard let first = name.first, let last = name.last else { return 0 }
        return name.count << 16 | Int(first) << 8 | Int(last)
    }
}

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

    /// Parses `Module.symvers` (tab-separated, one export per line). Lines without at least a CRC, a name and an
    /// owner are skipped. Works on the bytes: the file has 25,000 lines, and splitting Swift strings costs more
    /// than the rest of a check.
    public init(moduleSymvers bytes: [UInt8]) {
        exports.reserveCapacity(bytes.count / 60)
        var owners = [ArraySlice<UInt8>: String]()
        bytes.withUnsafeBufferPointer { buffer in
            var lineStart = 0
            while lineStart < buffer.count {
                var lineEnd = lineStart
                while lineEnd < buffer.count && buffer[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                var fields = [Range<Int>]()
                var fieldStart = lineStart
                for index in lineStart...lineEnd where index == lineEnd || buffer[index] == UInt8(ascii: "\t") {
                    fields.append(fieldStart..<index)
                    fieldStart = index + 1
                }
                lineStart = lineEnd + 1
                guard fields.count >= 3 else { continue }
                func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self) }
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

    /// Whether nothing is known: the check then cannot judge imports.
    public var isEmpty: Bool { exports.isEmpty }
}

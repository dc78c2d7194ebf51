import SystemPackage

/// The text form of every record in the state tree: `key=value` lines, one value per line, keys repeated for lists —
/// readable with `cat`, searchable with `grep`, diffable. Values are kept on one line: a newline or a backslash in
/// a value is written as `\n` / `\\`.
public struct RecordFormat: Sendable, Equatable {
    public private(set) var fields: [(key: String, value: String)] = []

    public init() {}

    public static func == (a: RecordFormat, b: RecordFormat) -> Bool {
        a.fields.map(\.key) == b.fields.map(\.key) && a.fields.map(\.value) == b.fields.map(\.value)
    }

    public mutating func append(_ key: String, _ value: String) {
        fields.append((key, value))
    }

    public mutating func appendIfPresent(_ key: String, _ value: String?) {
        if let value { append(key, value) }
    }

    /// The first value of `key`.
    public func value(_ key: String) -> String? { fields.first { $0.key == key }?.value }

    /// The first value of `key`, which a record read from `file` must have.
    func required(_ key: String, file: FilePath) throws(StateError) -> String {
        guard let value = value(key) else { throw .missingField(file: file.string, key: key) }
        return value
    }

    /// Every value of `key`, in file order.
    public func values(_ key: String) -> [String] { fields.filter { $0.key == key }.map(\.value) }

    public var bytes: [UInt8] {
        var text = ""
        for (key, value) in fields { text += "\(key)=\(Self.escape(value))\n" }
        return Array(text.utf8)
    }

    /// Parses a record; a line without `=` is reported with its number.
    public static func parse(_ bytes: [UInt8], file: FilePath) throws(StateError) -> RecordFormat {
        var record = RecordFormat()
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty { continue }
            guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else {
                throw .malformedRecord(file: file.string, line: index + 1, reason: "expected key=value")
            }
            let key = String(decoding: line[line.startIndex..<equals], as: UTF8.self)
            record.append(key, unescape(String(decoding: line[(equals + 1)...], as: UTF8.self)))
        }
        return record
    }

    /// Works on Unicode scalars, not Characters: `\r\n` is one Character, and escaping must still see its `\n`.
    private static func escape(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\n" }) else { return value }
        var text = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": text.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": text.append(contentsOf: "\\n".unicodeScalars)
            default: text.append(scalar)
            }
        }
        return String(text)
    }

    private static func unescape(_ value: String) -> String {
        guard value.unicodeScalars.contains("\\") else { return value }
        var text = String.UnicodeScalarView()
        var escaped = false
        for scalar in value.unicodeScalars {
            if escaped {
                text.append(scalar == "n" ? "\n" : scalar)
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else {
                text.append(scalar)
            }
        }
        return String(text)
    }
}

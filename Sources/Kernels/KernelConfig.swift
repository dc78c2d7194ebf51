import SystemPackage
import SystemSupport

/// A kernel's Kconfig choices as its headers ship them (`.config`, or `include/config/auto.conf` when `.config`
/// is absent): `CONFIG_X` → `y`, `m`, a number, or a string without its quotes. Options that are "not set" are absent.
public struct KernelConfig: Sendable, Hashable, Codable {
    public let values: [String: String]
    /// The file it was read from.
    public let file: String

    public init(values: [String: String], file: String) {
        self.values = values
        self.file = file
    }

    public subscript(option: String) -> String? { values[option] }

    /// Whether `option` is built in or modular.
    public func isEnabled(_ option: String) -> Bool {
        let value = values[option]
        return value == "y" || value == "m"
    }

    /// Reads `CONFIG_…=…` lines; comments and malformed lines are skipped as Kconfig itself does.
    public static func parse(_ bytes: [UInt8], file: String) -> KernelConfig {
        var values = [String: String]()
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard line.first == UInt8(ascii: "C"), let equals = line.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = String(decoding: line[line.startIndex..<equals], as: UTF8.self)
            guard key.hasPrefix("CONFIG_") else { continue }
            var value = String(decoding: line[(equals + 1)...], as: UTF8.self)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = unescape(String(value.dropFirst().dropLast()))
            }
            values[key] = value
        }
        return KernelConfig(values: values, file: file)
    }

    private static func unescape(_ quoted: String) -> String {
        var result = ""
        var escaped = false
        for character in quoted {
            if escaped {
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        return result
    }
}

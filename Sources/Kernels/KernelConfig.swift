import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A kernel's Kconfig choices as its headers ship them (`.config`, or `include/config/auto.conf` when `.config`
/// is absent): `CONFIG_X` → `y`, `m`, a number, or a string without its quotes. Options that are "not set" are absent.
///
/// The file (about 260 KB, 9,000 lines) is kept as bytes and searched per option, line starts found with `memchr`: a build asks for a
/// dozen options, and building a dictionary of all 9,000 would cost more than the rest of a no-op build.
public struct KernelConfig: Sendable, Hashable, Codable {
    /// The file's bytes, with a newline put in front so that every line starts after a `\n`.
    private let bytes: [UInt8]
    /// The file it was read from.
    public let file: String

    public init(bytes: [UInt8], file: String) {
        self.bytes = [UInt8(ascii: "\n")] + bytes
        self.file = file
    }

    public subscript(option: String) -> String? {
        let needle = Array("\(option)=".utf8)
        return bytes.withUnsafeBytes { haystack -> String? in
            let base = haystack.baseAddress!
            var offset = 0
            // Every line starts after a newline: memchr jumps from one to the next, and only lines that begin with
            // the option's first byte are compared further.
            while offset < haystack.count, let newline = memchr(base + offset, 0x0A, haystack.count - offset) {
                let lineStart = base.distance(to: UnsafeRawPointer(newline)) + 1
                offset = lineStart
                guard lineStart + needle.count <= haystack.count, haystack[lineStart] == needle[0] else { continue }
                guard memcmp(base + lineStart, needle, needle.count) == 0 else { continue }
                var end = lineStart + needle.count
                while end < haystack.count && haystack[end] != 0x0A { end += 1 }
                return Self.unquoted(String(decoding: haystack[(lineStart + needle.count)..<end], as: UTF8.self))
            }
            return nil
        }
    }

    /// Whether `option` is built in or modular.
    public func isEnabled(_ option: String) -> Bool {
        let value = self[option]
        return value == "y" || value == "m"
    }

    /// Whether the kernel checks module signatures (`CONFIG_MODULE_SIG`), and whether it insists on them.
    public var checksModuleSignatures: Bool { isEnabled("CONFIG_MODULE_SIG") }
    public var requiresModuleSignatures: Bool { isEnabled("CONFIG_MODULE_SIG_FORCE") }
    /// The hash its own signing uses and its modules are signed with (`sha256`…).
    public var moduleSignatureHash: String? { self["CONFIG_MODULE_SIG_HASH"] }
    /// The compression its own `modules_install` applies (`none`, `gzip`, `xz`, `zstd`).
    public var moduleCompression: String {
        if isEnabled("CONFIG_MODULE_COMPRESS_ZSTD") { return "zstd" }
        if isEnabled("CONFIG_MODULE_COMPRESS_XZ") { return "xz" }
        if isEnabled("CONFIG_MODULE_COMPRESS_GZIP") { return "gzip" }
        return "none"
    }

    /// The values of `options` that are set (for `BUILD_EXCLUSIVE_CONFIG`, which names a few).
    public func values(of options: [String]) -> [String: String] {
        var values = [String: String]()
        for option in options { values[option] = self[option] }
        return values
    }

    private static func unquoted(_ value: String) -> String {
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return value }
        var result = ""
        var escaped = false
        for character in value.dropFirst().dropLast() {
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

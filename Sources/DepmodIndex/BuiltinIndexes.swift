import Codecs
import SystemSupport

/// The keys of `modules.builtin.bin` and `modules.builtin.alias.bin`, which let libkmod answer for modules built
/// into the kernel image (docs/depmod-index.md, Builtin indexes).
enum BuiltinIndexes {
    /// From `modules.builtin` (one path per line, `kernel/fs/ext4/ext4.ko`): key = module name, empty value,
    /// priority 0. A line that does not start with a letter is reported and skipped.
    static func moduleKeys(_ list: [UInt8], sink: any DiagnosticSink) -> [(key: String, value: String, priority: UInt32)] {
        var keys = [(key: String, value: String, priority: UInt32)]()
        var start = 0
        while start < list.count {
            // Each line is taken with its newline, as depmod reads it: a name with no `.` keeps the newline.
            let end = list[start...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? list.count
            let line = list[start..<end]
            start = end
            guard let first = line.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first | 0x20) else {
                sink.warning("Invalid modules.builtin line")
                continue
            }
            let base = line.lastIndex(of: UInt8(ascii: "/")).map { line[($0 + 1)...] } ?? line
            keys.append((ModuleFileName.moduleName(ofFileName: String(decoding: base, as: UTF8.self)), "", 0))
        }
        return keys
    }

    /// From `modules.builtin.modinfo` (NUL-terminated `module.key=value` records): for each `alias` with a
    /// value, key = the normalised alias, value = the module name as written, priority 0.
    static func aliasKeys(_ modinfo: [UInt8], sink: any DiagnosticSink) -> [(key: String, value: String, priority: UInt32)] {
        // Only NUL-terminated records count: an unterminated last one is dropped, as depmod drops it.
        modinfo.split(separator: 0, omittingEmptySubsequences: false).dropLast().compactMap { record in
            guard !record.isEmpty, let dot = record.firstIndex(of: UInt8(ascii: ".")),
                let equals = record[dot...].firstIndex(of: UInt8(ascii: "=")),
                record[(dot + 1)..<equals].elementsEqual("alias".utf8), equals + 1 < record.endIndex
            else { return nil }
            let alias = String(decoding: record[(equals + 1)...], as: UTF8.self)
            guard let key = AliasNormalization.normalize(alias) else {
                sink.warning("Unmatched bracket in \(alias)")
                return nil
            }
            return (key, String(decoding: record[..<dot], as: UTF8.self), 0)
        }
    }
}

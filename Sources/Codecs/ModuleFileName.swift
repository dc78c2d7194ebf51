/// The name kmod gives the module in a file (`path_to_modname`): the file name up to its first `.`, every `-` made
/// `_` (`crc32-pclmul.ko.xz` → `crc32_pclmul`). One rule for depmod's index, same-named module checks, LoadCheck
/// and the initramfs reader.
public enum ModuleFileName {
    /// The module name of `fileName` (a file name, not a path).
    public static func moduleName(ofFileName fileName: String) -> String {
        moduleName(ofFileName: fileName.utf8)
    }

    /// `moduleName(ofFileName:)` from the name's UTF-8 bytes (a slice of a path or of `modules.dep`): one string
    /// made, nothing else.
    public static func moduleName(ofFileName fileName: some Collection<UInt8>) -> String {
        let stem = fileName.prefix { $0 != UInt8(ascii: ".") }
        return String(unsafeUninitializedCapacity: stem.count) { buffer in
            var count = 0
            for byte in stem {
                buffer[count] = byte == UInt8(ascii: "-") ? UInt8(ascii: "_") : byte
                count += 1
            }
            return count
        }
    }
}

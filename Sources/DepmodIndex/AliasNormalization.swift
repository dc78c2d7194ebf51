/// How alias keys are spelled in the `.bin` indexes: `-` becomes `_`, except inside `[...]`, which is copied as
/// written. A `]` outside brackets or a `[` that is never closed makes the alias unusable (nil); depmod then
/// leaves it out of the `.bin` but keeps it in the text file.
enum AliasNormalization {
    static func normalize(_ alias: String) -> String? {
        var output = [UInt8]()
        output.reserveCapacity(alias.utf8.count)
        return normalize(alias, appendingTo: &output) ? String(decoding: output, as: UTF8.self) : nil
    }

    /// Appends the normalised `alias` to `output` and returns true, or returns false (`output` then holds part
    /// of it). Lets a caller reuse one buffer for every alias instead of making a string for each.
    static func normalize(_ alias: String, appendingTo output: inout [UInt8]) -> Bool {
        var alias = alias
        return alias.withUTF8 { alias in
            // Normalising changes bytes but never their number: copy the alias whole, then change it in place.
            let start = output.count
            output.append(contentsOf: alias)
            // Most aliases hold no `-`, `[` or `]`; a pass without branches (so vectorised) finds out.
            let special = alias.reduce(0 as UInt8) { found, byte in
                found | (byte == UInt8(ascii: "-") ? 1 : 0) | (byte == UInt8(ascii: "[") ? 1 : 0) | (byte == UInt8(ascii: "]") ? 1 : 0)
            }
            guard special != 0 else { return true }
            var insideBrackets = false
            for (index, byte) in alias.enumerated() {
                switch byte {
                case UInt8(ascii: "["):
                    insideBrackets = true
                case UInt8(ascii: "]"):
                    guard insideBrackets else { return false }
                    insideBrackets = false
                case UInt8(ascii: "-") where !insideBrackets:
                    output[start + index] = UInt8(ascii: "_")
                default:
                    break
                }
            }
            return !insideBrackets
        }
    }
}

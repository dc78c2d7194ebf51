/// How alias keys are spelled in the `.bin` indexes: `-` becomes `_`, except inside `[...]`, which is copied as
/// written. A `]` outside brackets or a `[` that is never closed makes the alias unusable (nil); depmod then
/// leaves it out of the `.bin` but keeps it in the text file.
enum AliasNormalization {
    static func normalize(_ alias: String) -> String? {
        var output = [UInt8]()
        output.reserveCapacity(alias.utf8.count)
        var insideBrackets = false
        for byte in alias.utf8 {
            switch byte {
            case UInt8(ascii: "["):
                insideBrackets = true
            case UInt8(ascii: "]"):
                guard insideBrackets else { return nil }
                insideBrackets = false
            case UInt8(ascii: "-") where !insideBrackets:
                output.append(UInt8(ascii: "_"))
                continue
            default:
                break
            }
            output.append(byte)
        }
        return insideBrackets ? nil : String(decoding: output, as: UTF8.self)
    }
}

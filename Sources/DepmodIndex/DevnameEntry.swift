/// One `modules.devname` line: a module that creates a device node, so udev or systemd can create the node
/// before the module is loaded (docs/depmod-index.md, Devname).
struct DevnameEntry: Equatable {
    let module: String
    let deviceName: String
    /// `c` (character) or `b` (block).
    let type: Character
    let major: UInt32
    let minor: UInt32

    var line: String { "\(module) \(deviceName) \(type)\(major):\(minor)\n" }

    /// The entry `aliases` describe: the last `devname:X` and the last `char-major-M-N` / `block-major-M-N` seen
    /// before both are known. A devname without numbers is reported through `missingNumbers` and gives nil.
    static func from(module: String, aliases: [String], missingNumbers: (String) -> Void) -> DevnameEntry? {
        var deviceName: String?
        var type: Character?
        var major: UInt32 = 0
        var minor: UInt32 = 0
        for alias in aliases {
            if alias.hasPrefix("devname:") {
                deviceName = String(alias.dropFirst("devname:".count))
            } else if let numbers = scanNumbers(alias, after: "char-major-", major: &major, minor: &minor), numbers == 2 {
                type = "c"
            } else if let numbers = scanNumbers(alias, after: "block-major-", major: &major, minor: &minor), numbers == 2 {
                type = "b"
            }
            if type != nil && deviceName != nil { break }
        }
        guard let deviceName else { return nil }
        guard let type else {
            missingNumbers(deviceName)
            return nil
        }
        return DevnameEntry(module: module, deviceName: deviceName, type: type, major: major, minor: minor)
    }

    /// `sscanf(text, "<prefix>%u-%u", &major, &minor)`: nil if the prefix does not match, else how many numbers
    /// were converted (each one stored as it is read, as sscanf does).
    private static func scanNumbers(_ text: String, after prefix: String, major: inout UInt32, minor: inout UInt32) -> Int? {
        guard text.hasPrefix(prefix) else { return nil }
        var rest = Substring(text.dropFirst(prefix.count))
        guard let first = scanUnsigned(&rest) else { return 0 }
        major = first
        guard rest.first == "-" else { return 1 }
        rest = rest.dropFirst()
        guard let second = scanUnsigned(&rest) else { return 1 }
        minor = second
        return 2
    }

    /// `%u`: optional leading blanks and sign, then decimal digits (wrapping as C's strtoul does to 32 bits).
    private static func scanUnsigned(_ text: inout Substring) -> UInt32? {
        text = text.drop { $0 == " " || $0 == "\t" || $0 == "\n" }
        var negative = false
        if let sign = text.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            text = text.dropFirst()
        }
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else { return nil }
        text = text.dropFirst(digits.count)
        var value: UInt32 = 0
        for digit in digits.utf8 { value = value &* 10 &+ UInt32(digit - UInt8(ascii: "0")) }
        return negative ? 0 &- value : value
    }
}

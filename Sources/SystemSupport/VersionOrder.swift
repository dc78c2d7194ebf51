/// Version strings compared the way `sort -V` and dpkg order them for humans: runs of digits compare as numbers,
/// everything else bytewise — so `6.1.0-9` < `6.1.0-10` and `0.12.7` < `0.12.10`.
public enum VersionOrder {
    public static func less(_ a: String, _ b: String) -> Bool {
        compare(Array(a.utf8), Array(b.utf8)) < 0
    }

    public static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var i = 0
        var j = 0
        while i < a.count && j < b.count {
            if isDigit(a[i]) && isDigit(b[j]) {
                var iEnd = i
                while iEnd < a.count && isDigit(a[iEnd]) { iEnd += 1 }
                var jEnd = j
                while jEnd < b.count && isDigit(b[jEnd]) { jEnd += 1 }
                var iStart = i
                while iStart < iEnd - 1 && a[iStart] == UInt8(ascii: "0") { iStart += 1 }
                var jStart = j
                while jStart < jEnd - 1 && b[jStart] == UInt8(ascii: "0") { jStart += 1 }
                let lengthOrder = (iEnd - iStart) - (jEnd - jStart)
                if lengthOrder != 0 { return lengthOrder }
                for (x, y) in zip(a[iStart..<iEnd], b[jStart..<jEnd]) where x != y { return Int(x) - Int(y) }
                i = iEnd
                j = jEnd
            } else {
                if a[i] != b[j] { return Int(a[i]) - Int(b[j]) }
                i += 1
                j += 1
            }
        }
        return (a.count - i) - (b.count - j)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}

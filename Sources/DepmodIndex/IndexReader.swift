/// Reads an index file written by `IndexWriter` (or by any kmod version: both node layouts are accepted), so every
/// written index can be checked by reading it back. Every offset is bounds-checked.
public struct IndexReader {
    /// One key and its values, in stored order.
    public struct Entry: Sendable, Equatable {
        public let key: String
        public let values: [(priority: UInt32, value: String)]

        public static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.key == rhs.key && lhs.values.elementsEqual(rhs.values) { $0.priority == $1.priority && $0.value == $1.value }
        }
    }

    private let bytes: [UInt8]

    public init(_ bytes: [UInt8]) throws(IndexFormatError) {
        guard bytes.count >= 12, Self.word(bytes, 0) == IndexWriter.magic, Self.word(bytes, 4) >> 16 == 2 else {
            throw .badHeader
        }
        self.bytes = bytes
    }

    /// Every key with its values, in ascending key order. Nodes are visited with an explicit stack and each
    /// offset at most once, so a corrupt file whose references loop cannot recurse without end.
    public func entries() throws(IndexFormatError) -> [Entry] {
        var entries = [Entry]()
        var visited = Set<Int>()
        var pending: [(reference: UInt32, key: [UInt8])] = [(Self.word(bytes, 8), [])]
        while let (reference, parentKey) = pending.popLast() {
            let start = Int(reference & IndexWriter.offsetMask)
            guard visited.insert(start).inserted else { throw .corrupt(offset: start) }
            var offset = start
            var key = parentKey
            if reference & IndexWriter.hasPrefix != 0 {
                guard offset < bytes.count, let end = bytes[offset...].firstIndex(of: 0) else { throw .corrupt(offset: start) }
                key.append(contentsOf: bytes[offset..<end])
                offset = end + 1
            }
            var children = [(UInt8, UInt32)]()
            if reference & IndexWriter.hasChildren != 0 {
                guard offset + 2 <= bytes.count, bytes[offset] <= bytes[offset + 1] else { throw .corrupt(offset: start) }
                let first = bytes[offset]
                let count = Int(bytes[offset + 1] - first) + 1
                offset += 2
                guard offset + 4 * count <= bytes.count else { throw .corrupt(offset: start) }
                for index in 0..<count {
                    let child = Self.word(bytes, offset + 4 * index)
                    if child != 0 { children.append((first + UInt8(index), child)) }
                }
                offset += 4 * count
            }
            if reference & IndexWriter.hasValues != 0 {
                guard offset + 4 <= bytes.count else { throw .corrupt(offset: start) }
                let count = Int(Self.word(bytes, offset))
                offset += 4
                var values = [(priority: UInt32, value: String)]()
                for _ in 0..<count {
                    guard offset + 4 <= bytes.count, let end = bytes[(offset + 4)...].firstIndex(of: 0) else {
                        throw .corrupt(offset: start)
                    }
                    values.append((Self.word(bytes, offset), String(decoding: bytes[(offset + 4)..<end], as: UTF8.self)))
                    offset = end + 1
                }
                entries.append(Entry(key: String(decoding: key, as: UTF8.self), values: values))
            }
            // Pushed in reverse so the smallest character is visited next: keys come out in ascending order.
            for (character, child) in children.reversed() { pending.append((child, key + [character])) }
        }
        return entries
    }

    private static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        guard offset + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}

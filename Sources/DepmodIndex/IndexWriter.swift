/// Writes the binary index files (`modules.dep.bin`, `.alias.bin`, `.symbols.bin`, `.builtin.bin`,
/// `.builtin.alias.bin`) that libkmod searches instead of the text files. `IndexReader` reads them back.
///
/// ## On-disk format (kmod's "index v2.1"; all integers u32 big-endian, no alignment, no padding)
///
/// ```
/// offset 0   magic            0xB007F457
/// offset 4   version          0x00020001   (major 2, minor 1; readers check the major only)
/// offset 8   root reference
/// offset 12  node records …
/// ```
///
/// A **reference** is `flags | offset`: bit 31 = the node has a prefix, bit 30 = it has values, bit 29 = it has
/// children; bits 27…0 are the record's absolute file offset (so an index cannot exceed 256 MiB). A reference
/// of 0 means "no child".
///
/// A **node record** holds only the parts its flags announce, in this order:
/// 1. prefix: the characters, then NUL;
/// 2. children: a `first` byte and a `last` byte, then `last - first + 1` child references, one per character
///    from `first` to `last` (0 where there is no child);
/// 3. values: a count, then per value its priority and the string with its NUL.
///
/// **Shape.** A trie over the keys, path-compressed: there is a node for the root (empty string), for each key,
/// and for each string where keys branch. A child hangs under its parent at the one character that follows the
/// parent's string; its prefix holds the rest of its own string. The root's prefix is always empty, so the shape
/// depends only on the set of keys. Keys and values are 7-bit ASCII.
///
/// **Values** of a key are in ascending priority; a value added later goes before earlier values of equal
/// priority (depmod inserts it in front of them). Duplicates are kept.
///
/// **Layout.** kmod 30–33 write **post-order** (`IndexLayout.v30`): each node's children subtrees first, in
/// ascending character order, then the node, so the root record is the last thing in the file. kmod 34 writes
/// **pre-order** (`IndexLayout.v34`): the root at offset 12, then each child subtree depth-first. Readers accept
/// both. An empty index is 12 bytes: the header with root reference 12 and an empty root record.
struct IndexWriter {
    static let magic: UInt32 = 0xB007_F457
    static let version: UInt32 = 0x0002_0001
    static let hasPrefix: UInt32 = 0x8000_0000
    static let hasValues: UInt32 = 0x4000_0000
    static let hasChildren: UInt32 = 0x2000_0000
    static let offsetMask: UInt32 = 0x0FFF_FFFF

    private(set) var bytes: [UInt8] = []

    mutating func write(_ root: TrieNode, layout: IndexLayout) throws(IndexFormatError) {
        bytes = []
        append(Self.magic)
        append(Self.version)
        append(0)
        let rootReference: UInt32
        switch layout {
        case .v30: rootReference = try writePostOrder(root)
        case .v34: rootReference = try writePreOrder(root, subtreeSizes: Self.subtreeSizes(root))
        }
        guard bytes.count <= Int(Self.offsetMask) else { throw .tooLarge(bytes: bytes.count) }
        patch(rootReference, at: 8)
    }

    /// Children first (ascending character), then the node; returns the node's reference.
    private mutating func writePostOrder(_ node: TrieNode) throws(IndexFormatError) -> UInt32 {
        var references = [(UInt8, UInt32)]()
        references.reserveCapacity(node.children.count)
        for child in node.children { references.append((child.character, try writePostOrder(child.node))) }
        return try writeRecord(node, childReferences: references)
    }

    /// The node, then each child subtree; child offsets come from the subtree sizes computed beforehand.
    private mutating func writePreOrder(_ node: TrieNode, subtreeSizes: SubtreeSizes) throws(IndexFormatError) -> UInt32 {
        var childOffset = bytes.count + Self.recordSize(node)
        var references = [(UInt8, UInt32)]()
        for (index, child) in node.children.enumerated() {
            references.append((child.character, UInt32(truncatingIfNeeded: childOffset) | Self.flags(child.node)))
            childOffset += subtreeSizes.children[index].total
        }
        let reference = try writeRecord(node, childReferences: references)
        for (index, child) in node.children.enumerated() {
            _ = try writePreOrder(child.node, subtreeSizes: subtreeSizes.children[index])
        }
        return reference
    }

    private mutating func writeRecord(_ node: TrieNode, childReferences: [(UInt8, UInt32)]) throws(IndexFormatError) -> UInt32 {
        let offset = bytes.count
        guard offset <= Int(Self.offsetMask) else { throw .tooLarge(bytes: offset) }
        if !node.prefix.isEmpty {
            bytes.append(contentsOf: node.prefix)
            bytes.append(0)
        }
        if let first = childReferences.first?.0, let last = childReferences.last?.0 {
            bytes.append(first)
            bytes.append(last)
            var slots = [UInt32](repeating: 0, count: Int(last - first) + 1)
            for (character, reference) in childReferences { slots[Int(character - first)] = reference }
            for slot in slots { append(slot) }
        }
        if !node.values.isEmpty {
            append(UInt32(node.values.count))
            for value in node.values {
                append(value.priority)
                bytes.append(contentsOf: value.value.utf8)
                bytes.append(0)
            }
        }
        return UInt32(offset) | Self.flags(node)
    }

    static func flags(_ node: TrieNode) -> UInt32 {
        (node.prefix.isEmpty ? 0 : hasPrefix) | (node.values.isEmpty ? 0 : hasValues) | (node.children.isEmpty ? 0 : hasChildren)
    }

    static func recordSize(_ node: TrieNode) -> Int {
        var size = node.prefix.isEmpty ? 0 : node.prefix.count + 1
        if let first = node.children.first?.character, let last = node.children.last?.character {
            size += 2 + 4 * (Int(last - first) + 1)
        }
        if !node.values.isEmpty { size += 4 + node.values.reduce(0) { $0 + 4 + $1.value.utf8.count + 1 } }
        return size
    }

    /// The byte size of each subtree, mirroring the tree's shape.
    struct SubtreeSizes {
        let total: Int
        let children: [SubtreeSizes]
    }

    static func subtreeSizes(_ node: TrieNode) -> SubtreeSizes {
        let children = node.children.map { subtreeSizes($0.node) }
        return SubtreeSizes(total: recordSize(node) + children.reduce(0) { $0 + $1.total }, children: children)
    }

    private mutating func append(_ value: UInt32) {
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8(value >> 16 & 0xFF))
        bytes.append(UInt8(value >> 8 & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }

    private mutating func patch(_ value: UInt32, at offset: Int) {
        bytes[offset] = UInt8(value >> 24)
        bytes[offset + 1] = UInt8(value >> 16 & 0xFF)
        bytes[offset + 2] = UInt8(value >> 8 & 0xFF)
        bytes[offset + 3] = UInt8(value & 0xFF)
    }
}

/// Why an index file could not be written or read.
public enum IndexFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The index would not fit the 28-bit offsets of the format.
    case tooLarge(bytes: Int)
    /// The file is not an index: bad magic or an unsupported major version.
    case badHeader
    /// A reference or string points outside the file, or nodes form a loop.
    case corrupt(offset: Int)

    public var description: String {
        switch self {
        case .tooLarge(let bytes): "index too large (\(bytes) bytes; the format's limit is 256 MiB)"
        case .badHeader: "not a kmod index (bad magic or version)"
        case .corrupt(let offset): "corrupt index node at offset \(offset)"
        }
    }
}

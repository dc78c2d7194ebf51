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
enum IndexWriter {
    static let magic: UInt32 = 0xB007_F457
    static let version: UInt32 = 0x0002_0001
    static let hasPrefix: UInt32 = 0x8000_0000
    static let hasValues: UInt32 = 0x4000_0000
    static let hasChildren: UInt32 = 0x2000_0000
    static let offsetMask: UInt32 = 0x0FFF_FFFF
    static let headerSize = 12

    /// The index file for `trie` in `layout`. Every record's size is known from the trie alone, so every
    /// record's offset is worked out first; the records are then written straight to their places in a buffer
    /// of the file's exact size, in whatever order the nodes come.
    static func bytes(of trie: FlatTrie, layout: IndexLayout) throws(IndexFormatError) -> [UInt8] {
        let nodes = trie.nodes
        let recordSizes = nodes.map { recordSize($0, in: trie) }
        // A subtree's records fill one region of the file. Children come after their parent in `nodes`, so
        // walking backwards sizes every child's subtree before its parent's.
        var subtreeSizes = recordSizes
        for index in nodes.indices.reversed() {
            for child in nodes[index].children { subtreeSizes[index] += subtreeSizes[child] }
        }
        // Walking forwards, each node learns where its region starts before its children are reached.
        // Pre-order: the node at its region's start, then its children's regions in character order.
        // Post-order: the children's regions first, the node at the end.
        var offsets = [Int](repeating: headerSize, count: nodes.count)
        for (index, node) in nodes.enumerated() {
            let regionStart = offsets[index]
            var childRegionStart: Int
            switch layout {
            case .v30:
                offsets[index] = regionStart + subtreeSizes[index] - recordSizes[index]
                childRegionStart = regionStart
            case .v34:
                childRegionStart = regionStart + recordSizes[index]
            }
            for child in node.children {
                offsets[child] = childRegionStart
                childRegionStart += subtreeSizes[child]
            }
        }
        let size = headerSize + subtreeSizes[0]
        guard size <= Int(offsetMask) else {
            // What writing record after record would hit first: a record starting past the limit, else the end.
            throw .tooLarge(bytes: offsets.filter { $0 > Int(offsetMask) }.min() ?? size)
        }
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            let file = UnsafeMutableRawBufferPointer(buffer)
            store(magic, in: file, at: 0)
            store(version, in: file, at: 4)
            store(reference(0, in: trie, offsets: offsets), in: file, at: 8)
            trie.keyBytes.withUnsafeBytes { keys in
                trie.valueBytes.withUnsafeBytes { values in
                    for index in nodes.indices {
                        writeRecord(index, of: trie, keys: keys, values: values, offsets: offsets, into: file)
                    }
                }
            }
            // The records tile the file from the header to the end, so every byte is now set.
            initialized = size
        }
    }

    /// Writes node `index`'s record at its offset: prefix, children, values, each only when present.
    private static func writeRecord(
        _ index: Int, of trie: FlatTrie, keys: UnsafeRawBufferPointer, values: UnsafeRawBufferPointer, offsets: [Int],
        into file: UnsafeMutableRawBufferPointer
    ) {
        let node = trie.nodes[index]
        var position = offsets[index]
        if !node.prefix.isEmpty {
            copy(keys, node.prefix, into: file, at: position)
            position += node.prefix.count
            file[position] = 0
            position += 1
        }
        if let (first, last) = characterRange(node, in: trie) {
            file[position] = first
            file[position + 1] = last
            position += 2
            // One slot per character from first to last: 0 where no child hangs.
            let slots = 4 * (Int(last - first) + 1)
            file.baseAddress!.advanced(by: position).initializeMemory(as: UInt8.self, repeating: 0, count: slots)
            for child in node.children {
                store(reference(child, in: trie, offsets: offsets), in: file, at: position + 4 * Int(trie.nodes[child].character - first))
            }
            position += slots
        }
        if !node.values.isEmpty {
            store(UInt32(node.values.count), in: file, at: position)
            position += 4
            for value in node.values {
                let entry = trie.entries[value]
                store(entry.priority, in: file, at: position)
                position += 4
                copy(values, entry.valueStart..<entry.valueEnd, into: file, at: position)
                position += entry.valueLength
                file[position] = 0
                position += 1
            }
        }
    }

    /// How many bytes node's record takes.
    private static func recordSize(_ node: FlatTrie.Node, in trie: FlatTrie) -> Int {
        var size = node.prefix.isEmpty ? 0 : node.prefix.count + 1
        if let (first, last) = characterRange(node, in: trie) { size += 2 + 4 * (Int(last - first) + 1) }
        if !node.values.isEmpty {
            size += 4
            for value in node.values { size += 4 + trie.entries[value].valueLength + 1 }
        }
        return size
    }

    /// The characters of the first and last child (children are in ascending character order).
    private static func characterRange(_ node: FlatTrie.Node, in trie: FlatTrie) -> (first: UInt8, last: UInt8)? {
        guard let first = node.children.first, let last = node.children.last else { return nil }
        return (trie.nodes[first].character, trie.nodes[last].character)
    }

    /// Node `index`'s offset and flags.
    private static func reference(_ index: Int, in trie: FlatTrie, offsets: [Int]) -> UInt32 {
        let node = trie.nodes[index]
        return UInt32(truncatingIfNeeded: offsets[index]) | (node.prefix.isEmpty ? 0 : hasPrefix)
            | (node.values.isEmpty ? 0 : hasValues) | (node.children.isEmpty ? 0 : hasChildren)
    }

    private static func copy(
        _ source: UnsafeRawBufferPointer, _ range: Range<Int>, into file: UnsafeMutableRawBufferPointer, at offset: Int
    ) {
        guard !range.isEmpty else { return }  // an empty arena has no base address
        (file.baseAddress! + offset).copyMemory(from: source.baseAddress! + range.lowerBound, byteCount: range.count)
    }

    /// Writes `value` big-endian at `offset` (unaligned).
    private static func store(_ value: UInt32, in file: UnsafeMutableRawBufferPointer, at offset: Int) {
        file.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
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

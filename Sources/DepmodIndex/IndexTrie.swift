/// The binary index files (`modules.dep.bin`, `.alias.bin`, `.symbols.bin`, `.builtin.bin`,
/// `.builtin.alias.bin`) that libkmod searches instead of the text files.
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
struct IndexTrie {
    /// Values in insertion order, per key.
    private var valuesByKey: [String: [IndexValue]] = [:]

    /// Adds `value` under `key`. Returns false (and adds nothing) when the key or value is not 7-bit ASCII,
    /// which the format cannot hold.
    @discardableResult
    mutating func add(key: String, value: String, priority: UInt32) -> Bool {
        guard key.utf8.allSatisfy({ $0 < 0x80 }), value.utf8.allSatisfy({ $0 != 0 }) else { return false }
        valuesByKey[key, default: []].append(IndexValue(priority: priority, value: value))
        return true
    }

    /// Keys that received the same value more than once (what `depmod -w` warns about).
    var duplicateValues: [(key: String, value: String)] {
        valuesByKey.flatMap { key, values -> [(key: String, value: String)] in
            var seen = Set<String>()
            return values.filter { !seen.insert($0.value).inserted }.map { (key: key, value: $0.value) }
        }.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    /// The index file's bytes in `layout`.
    func serialized(_ layout: IndexLayout) throws(IndexFormatError) -> [UInt8] {
        let keyed = valuesByKey.map { key, values in
            // Equal priorities newest first: reverse insertion order, then a stable sort by priority.
            (key: Array(key.utf8), values: Array(values.reversed()).stableSorted { $0.priority < $1.priority })
        }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        let root = TrieNode.build(keyed[...], depth: 0, isRoot: true)
        var writer = IndexWriter()
        try writer.write(root, layout: layout)
        return writer.bytes
    }
}

/// Which node order an index is written in (see `IndexTrie`).
public enum IndexLayout: String, Sendable, CaseIterable {
    /// Post-order, root last: what kmod 30–33 write and Debian 12's libkmod reads.
    case v30
    /// Pre-order, root first: what kmod 34 writes.
    case v34
}

/// One value stored under a key.
struct IndexValue: Sendable, Equatable {
    let priority: UInt32
    let value: String
}

/// A node of the path-compressed trie, built from sorted keys.
struct TrieNode {
    var prefix: ArraySlice<UInt8> = []
    var children: [(character: UInt8, node: TrieNode)] = []
    var values: [IndexValue] = []

    /// The node for the keys in `keys` (sorted, distinct, all sharing their first `depth` bytes).
    static func build(_ keys: ArraySlice<(key: [UInt8], values: [IndexValue])>, depth: Int, isRoot: Bool) -> TrieNode {
        var node = TrieNode()
        guard let first = keys.first?.key else { return node }
        var end = depth
        if !isRoot {
            // Sorted keys: what the first and last share, every key in between shares.
            let last = keys[keys.index(before: keys.endIndex)].key
            while end < first.count && end < last.count && first[end] == last[end] { end += 1 }
        }
        node.prefix = first[depth..<end]
        var rest = keys
        if first.count == end {
            node.values = keys[keys.startIndex].values
            rest = rest.dropFirst()
        }
        while let head = rest.first?.key {
            let character = head[end]
            let groupEnd = rest.firstIndex { $0.key[end] != character } ?? rest.endIndex
            node.children.append((character, build(rest[rest.startIndex..<groupEnd], depth: end + 1, isRoot: false)))
            rest = rest[groupEnd...]
        }
        return node
    }
}

extension Array {
    /// A sort that keeps equal elements in their current order.
    func stableSorted(by areInIncreasingOrder: (Element, Element) -> Bool) -> [Element] {
        if count < 2 { return self }
        return enumerated().sorted { lhs, rhs in
            if areInIncreasingOrder(lhs.element, rhs.element) { return true }
            if areInIncreasingOrder(rhs.element, lhs.element) { return false }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}

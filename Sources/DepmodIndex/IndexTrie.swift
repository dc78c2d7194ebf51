#if canImport(Glibc)
    import Glibc
#endif

/// The keys and values of one binary index file, in the order depmod adds them; `serialized` lays them out as
/// the trie `IndexWriter` documents.
struct IndexTrie {
    /// Every key's bytes, back to back; entries point into it (one allocation instead of one per key).
    private var arena: [UInt8] = []
    private var entries: [Entry] = []

    struct Entry {
        let keyStart: Int
        let keyLength: Int
        let value: IndexValue
    }

    /// Adds `value` under `key`. Returns false (and adds nothing) when the key is not 7-bit ASCII or the value
    /// holds a NUL, which the format cannot represent.
    @discardableResult
    mutating func add(key: String, value: String, priority: UInt32) -> Bool {
        guard key.utf8.allSatisfy({ $0 < 0x80 }), !value.utf8.contains(0) else { return false }
        let start = arena.count
        arena.append(contentsOf: key.utf8)
        entries.append(Entry(keyStart: start, keyLength: arena.count - start, value: IndexValue(priority: priority, value: value)))
        return true
    }

    /// Keys that received the same value more than once (what `depmod -w` warns about), in key order.
    var duplicateValues: [(key: String, value: String)] {
        var result = [(key: String, value: String)]()
        for group in sortedGroups() {
            var seen = Set<String>()
            let key = String(decoding: arena[group.keyStart..<(group.keyStart + group.keyLength)], as: UTF8.self)
            for value in group.values where !seen.insert(value.value).inserted { result.append((key, value.value)) }
        }
        return result
    }

    /// The index file's bytes in `layout`.
    func serialized(_ layout: IndexLayout) throws(IndexFormatError) -> [UInt8] {
        try arena.withUnsafeBufferPointer { arena throws(IndexFormatError) in
            let groups = sortedGroups()
            let root = TrieNode.build(groups[...], arena: arena, depth: 0, isRoot: true)
            var writer = IndexWriter()
            try writer.write(root, layout: layout)
            return writer.bytes
        }
    }

    /// One key and its values in index order.
    struct KeyGroup {
        let keyStart: Int
        let keyLength: Int
        let values: [IndexValue]
    }

    /// The distinct keys in byte order, each with its values ascending by priority and, within a priority, newest
    /// first (depmod inserts a value in front of values of equal priority) — all from one sort of the entries.
    private func sortedGroups() -> [KeyGroup] {
        arena.withUnsafeBufferPointer { arena in
            let order = entries.indices.sorted { lhs, rhs in
                let a = entries[lhs]
                let b = entries[rhs]
                let common = min(a.keyLength, b.keyLength)
                let compared = common == 0 ? 0 : memcmp(arena.baseAddress! + a.keyStart, arena.baseAddress! + b.keyStart, common)
                if compared != 0 { return compared < 0 }
                if a.keyLength != b.keyLength { return a.keyLength < b.keyLength }
                if a.value.priority != b.value.priority { return a.value.priority < b.value.priority }
                return lhs > rhs
            }
            var groups = [KeyGroup]()
            var index = 0
            while index < order.count {
                let first = entries[order[index]]
                var values = [first.value]
                index += 1
                while index < order.count {
                    let next = entries[order[index]]
                    guard next.keyLength == first.keyLength,
                        first.keyLength == 0
                            || memcmp(arena.baseAddress! + next.keyStart, arena.baseAddress! + first.keyStart, first.keyLength) == 0
                    else { break }
                    values.append(next.value)
                    index += 1
                }
                groups.append(KeyGroup(keyStart: first.keyStart, keyLength: first.keyLength, values: values))
            }
            return groups
        }
    }
}

/// Which node order an index is written in (see `IndexWriter`).
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

/// A node of the path-compressed trie, built from sorted keys. (A class: a recursive value type through an
/// array of tuples trips the compiler's layout check in incremental builds.)
final class TrieNode {
    var prefix: [UInt8] = []
    var children: [(character: UInt8, node: TrieNode)] = []
    var values: [IndexValue] = []

    /// The node for the keys in `keys` (sorted, distinct, all sharing their first `depth` bytes).
    static func build(_ keys: ArraySlice<IndexTrie.KeyGroup>, arena: UnsafeBufferPointer<UInt8>, depth: Int, isRoot: Bool) -> TrieNode {
        let node = TrieNode()
        guard let first = keys.first else { return node }
        func byte(_ group: IndexTrie.KeyGroup, _ offset: Int) -> UInt8 { arena[group.keyStart + offset] }
        var end = depth
        if !isRoot {
            // Sorted keys: what the first and last share, every key in between shares.
            let last = keys[keys.index(before: keys.endIndex)]
            while end < first.keyLength && end < last.keyLength && byte(first, end) == byte(last, end) { end += 1 }
        }
        node.prefix = Array(arena[(first.keyStart + depth)..<(first.keyStart + end)])
        var rest = keys
        if first.keyLength == end {
            node.values = first.values
            rest = rest.dropFirst()
        }
        while let head = rest.first {
            let character = byte(head, end)
            let groupEnd = rest.firstIndex { byte($0, end) != character } ?? rest.endIndex
            node.children.append((character, build(rest[rest.startIndex..<groupEnd], arena: arena, depth: end + 1, isRoot: false)))
            rest = rest[groupEnd...]
        }
        return node
    }
}

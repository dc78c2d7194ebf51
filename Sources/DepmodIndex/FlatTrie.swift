/// The path-compressed trie of `IndexWriter`'s format, built from entries in index order: one flat array of
/// nodes made of integers (no class, no array per node), each pointing into the key bytes and the entries.
///
/// Nodes are numbered breadth-first, the root first. That gives two properties the writer relies on: a node's
/// children are consecutive nodes (so a node stores one range for them), and every child comes after its parent
/// (so one pass from the end sees children before parents, and one from the start the reverse).
struct FlatTrie {
    let keyBytes: [UInt8]
    let valueBytes: [UInt8]
    /// Sorted as `EntryOrder` documents: a node's values and a subtree's keys are each one range of it.
    let entries: [IndexTrie.Entry]
    /// Per entry, how many bytes its key shares with the previous entry's. The build needs nothing else to find
    /// where keys branch, so it reads no key bytes but each child's character.
    private let shared: [Int]
    private(set) var nodes: [Node]

    struct Node {
        /// The character this node hangs under in its parent (unused for the root).
        var character: UInt8
        /// The entries whose keys pass through this node; the build splits it between `values` and children.
        var keys: Range<Int>
        /// How many key bytes the ancestors and the characters under them cover.
        var depth: Int
        /// The rest of the node's string, as a range of `keyBytes`.
        var prefix: Range<Int> = 0..<0
        /// The entries whose key ends at this node, as a range of `entries`.
        var values: Range<Int> = 0..<0
        /// The child nodes, as a range of `nodes`, in ascending `character`.
        var children: Range<Int> = 0..<0
    }

    /// The trie of `sortedEntries`, whose keys point into `keyBytes` and values into `valueBytes`.
    init(keyBytes: [UInt8], valueBytes: [UInt8], sortedEntries: [IndexTrie.Entry]) {
        self.keyBytes = keyBytes
        self.valueBytes = valueBytes
        entries = sortedEntries
        shared = keyBytes.withUnsafeBufferPointer { keyBytes in
            var previous = UnsafeBufferPointer(rebasing: keyBytes[0..<0])
            return sortedEntries.map { entry in
                let key = UnsafeBufferPointer(rebasing: keyBytes[entry.keyStart..<entry.keyEnd])
                defer { previous = key }
                return Self.commonPrefixLength(previous, key)
            }
        }
        nodes = [Node(character: 0, keys: entries.indices, depth: 0)]
        nodes.reserveCapacity(2 * entries.count + 1)
        // The array is its own queue: expanding a node appends its children, which are expanded in turn.
        var next = 0
        while next < nodes.count {
            expand(next)
            next += 1
        }
    }

    /// Sets the prefix, values and children of node `index`, appending the children.
    private mutating func expand(_ index: Int) {
        let node = nodes[index]
        guard let first = node.keys.first else { return }  // the root of an empty index
        // The root's prefix is always empty. Below it, a node's string runs as far as all its keys agree: to the
        // end of the shortest, or to where two neighbours (the keys are sorted) part.
        var end = node.depth
        if index != 0 {
            end = entries[first].keyLength
            for entry in node.keys.dropFirst() { end = min(end, shared[entry]) }
        }
        // Keys exactly `end` long are this node's own; sorted, they come first.
        var rest = first
        while rest < node.keys.upperBound && entries[rest].keyLength == end { rest += 1 }
        nodes[index].values = first..<rest
        let firstChild = nodes.count
        while rest < node.keys.upperBound {
            // Neighbours that agree past `end` agree on the byte at `end`: they hang under the same child.
            var groupEnd = rest + 1
            while groupEnd < node.keys.upperBound && shared[groupEnd] > end { groupEnd += 1 }
            let character = keyBytes[entries[rest].keyStart + end]
            nodes.append(Node(character: character, keys: rest..<groupEnd, depth: end + 1))
            rest = groupEnd
        }
        nodes[index].prefix = (entries[first].keyStart + node.depth)..<(entries[first].keyStart + end)
        nodes[index].children = firstChild..<nodes.count
    }

    /// How many bytes `a` and `b` share at their start, compared eight at a time while both have eight left.
    private static func commonPrefixLength(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let limit = min(a.count, b.count)
        var offset = 0
        while offset + 8 <= limit {
            let left = UnsafeRawPointer(a.baseAddress! + offset).loadUnaligned(as: UInt64.self)
            let right = UnsafeRawPointer(b.baseAddress! + offset).loadUnaligned(as: UInt64.self)
            // In memory order (first byte lowest), the lowest differing bit lies in the first differing byte.
            let difference = UInt64(littleEndian: left) ^ UInt64(littleEndian: right)
            if difference != 0 { return offset + difference.trailingZeroBitCount / 8 }
            offset += 8
        }
        while offset < limit && a[offset] == b[offset] { offset += 1 }
        return offset
    }
}

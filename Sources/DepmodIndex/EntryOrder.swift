/// Puts index entries in index order: keys byte by byte, a key before the keys it is a prefix of; under one key,
/// ascending priority and, within a priority, newest first (depmod inserts a value in front of values of equal
/// priority). The position in adding order decides the last tie, so the order is total.
///
/// Keys share long prefixes (`pci:v00008086d0000…` thousands of times, `symbol:` every time), so a sort that
/// compares whole keys reads the same bytes again and again. This is Bentley and Sedgewick's multikey quicksort
/// instead, on "digits" of seven key bytes: a range of entries whose keys agree up to some depth is split three
/// ways on the digit at that depth, and only the middle part, whose digits are equal, moves on to the next digit.
/// Each entry's digit is computed once per depth and kept beside its position, so partitioning compares integers
/// held side by side instead of reaching into the arena for every comparison.
struct EntryOrder {
    /// What the sort moves: small (16 bytes), so partitioning moves little memory. The digit is the entry's at
    /// the depth being sorted on.
    private struct Item {
        var digit: UInt64 = 0
        var position: UInt32
        var priority: UInt32
    }

    /// Key bytes in one digit.
    private static let digitWidth = 7
    /// Ranges at most this long are sorted by insertion.
    private static let smallRange = 16

    private let keys: UnsafeBufferPointer<UInt8>
    private let entries: UnsafeBufferPointer<IndexTrie.Entry>

    /// `entries` in index order; `keys` is the arena their keys point into.
    static func sorted(_ entries: [IndexTrie.Entry], keys: [UInt8]) -> [IndexTrie.Entry] {
        // 32-bit positions: billions of entries would not fit in memory anyway.
        var items = entries.indices.map { Item(position: UInt32($0), priority: entries[$0].priority) }
        keys.withUnsafeBufferPointer { keys in
            entries.withUnsafeBufferPointer { entries in
                items.withUnsafeMutableBufferPointer { items in EntryOrder(keys: keys, entries: entries).sort(items, from: 0) }
            }
        }
        return items.map { entries[Int($0.position)] }
    }

    /// Sorts `items`, whose keys all share their first `depth` bytes.
    private func sort(_ items: UnsafeMutableBufferPointer<Item>, from depth: Int) {
        for index in items.indices { items[index].digit = digit(items[index], at: depth) }
        partition(items, from: depth)
    }

    /// Sorts `items`, whose keys all share their first `depth` bytes and whose digits are set for that depth.
    private func partition(_ items: UnsafeMutableBufferPointer<Item>, from depth: Int) {
        var items = items
        while items.count > Self.smallRange {
            let pivot = medianOfThree(items[0].digit, items[items.count / 2].digit, items[items.count - 1].digit)
            // Dijkstra's three-way partition: digits below, equal to, above the pivot.
            var below = 0
            var next = 0
            var above = items.count
            while next < above {
                let digit = items[next].digit
                if digit < pivot {
                    items.swapAt(below, next)
                    below += 1
                    next += 1
                } else if digit > pivot {
                    above -= 1
                    items.swapAt(next, above)
                } else {
                    next += 1
                }
            }
            var middle = UnsafeMutableBufferPointer(rebasing: items[below..<above])
            if Self.keyGoesOn(pivot) {
                sort(middle, from: depth + Self.digitWidth)
            } else {
                // The keys end in this digit and agree on it: one key, however many values.
                middle.sort { precedes($0, $1, from: depth) }
            }
            // The smaller outer part by recursion, the larger by the loop: the stack stays O(log n) deep.
            let lower = UnsafeMutableBufferPointer(rebasing: items[..<below])
            let upper = UnsafeMutableBufferPointer(rebasing: items[above...])
            if lower.count < upper.count {
                partition(lower, from: depth)
                items = upper
            } else {
                partition(upper, from: depth)
                items = lower
            }
        }
        insertionSort(items, from: depth)
    }

    /// For ranges too short to partition: by digit, and by the whole order where digits are equal.
    private func insertionSort(_ items: UnsafeMutableBufferPointer<Item>, from depth: Int) {
        for index in items.indices.dropFirst() {
            let item = items[index]
            var slot = index
            while slot > 0
                && (item.digit != items[slot - 1].digit ? item.digit < items[slot - 1].digit : precedes(item, items[slot - 1], from: depth))
            {
                items[slot] = items[slot - 1]
                slot -= 1
            }
            items[slot] = item
        }
    }

    /// The key's next `digitWidth` bytes from `offset`, in the high 56 bits (0 past the key's end), then how
    /// many of them the key has, or 8 when it goes on past them. Digits compare as their keys do: at the first
    /// differing byte, or else the shorter key first.
    private func digit(_ item: Item, at offset: Int) -> UInt64 {
        let entry = entries[Int(item.position)]
        let remaining = entry.keyLength - offset
        var digit: UInt64 = 0
        for index in 0..<Self.digitWidth {
            digit <<= 8
            if index < remaining { digit |= UInt64(keys[entry.keyStart + offset + index]) }
        }
        return digit << 8 | UInt64(min(remaining, Self.digitWidth + 1))
    }

    private static func keyGoesOn(_ digit: UInt64) -> Bool {
        digit & 0xFF > digitWidth
    }

    private func medianOfThree(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        max(min(a, b), min(max(a, b), c))
    }

    /// The whole order, for keys equal in their first `depth` bytes.
    private func precedes(_ a: Item, _ b: Item, from depth: Int) -> Bool {
        let left = entries[Int(a.position)]
        let right = entries[Int(b.position)]
        let common = min(left.keyLength, right.keyLength)
        var offset = depth
        while offset < common {
            let leftByte = keys[left.keyStart + offset]
            let rightByte = keys[right.keyStart + offset]
            if leftByte != rightByte { return leftByte < rightByte }
            offset += 1
        }
        if left.keyLength != right.keyLength { return left.keyLength < right.keyLength }
        if a.priority != b.priority { return a.priority < b.priority }
        return a.position > b.position
    }
}

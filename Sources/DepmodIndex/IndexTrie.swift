/// The keys and values of one binary index file, in the order depmod adds them; `serialized` lays them out as
/// the trie `IndexWriter` documents.
///
/// Made for tens of thousands of keys (`modules.alias.bin` has ~26,000): the bytes of every key and every value
/// go into two arenas, and an entry holds only integers pointing into them. Sorting then moves plain integers,
/// with no reference counting, and a whole index costs a handful of allocations instead of several per key.
struct IndexTrie {
    /// Every key's bytes, back to back.
    private var keyBytes: [UInt8] = []
    /// Every value's bytes, back to back (without the NUL the file adds).
    private var valueBytes: [UInt8] = []
    /// In the order added: the position breaks ties between equal keys of equal priority.
    private var entries: [Entry] = []

    /// One value under one key: where both lie in the arenas, and the value's priority.
    struct Entry {
        var keyStart: Int
        var keyLength: Int
        var valueStart: Int
        var valueLength: Int
        var priority: UInt32

        var keyEnd: Int { keyStart + keyLength }
        var valueEnd: Int { valueStart + valueLength }
    }

    /// Adds `value` under `keyPrefix` + `key`. Returns false (and adds nothing) when the key is not 7-bit ASCII
    /// or the value holds a NUL, which the format cannot represent.
    @discardableResult
    mutating func add(keyPrefix: String = "", key: String, value: String, priority: UInt32) -> Bool {
        Self.withBytes(of: keyPrefix) { keyPrefix in
            Self.withBytes(of: key) { key in
                Self.withBytes(of: value) { value in append(keyPrefix, key, value: value, priority: priority) }
            }
        }
    }

    /// `add(key:value:priority:)` for a key already in bytes (one built in a reused buffer).
    @discardableResult
    mutating func add(key: [UInt8], value: String, priority: UInt32) -> Bool {
        key.withUnsafeBufferPointer { key in
            Self.withBytes(of: value) { value in append(UnsafeBufferPointer(start: nil, count: 0), key, value: value, priority: priority) }
        }
    }

    /// Calls `body` with the string's UTF-8 bytes, in place unless the string is not stored contiguously.
    private static func withBytes<Result>(of string: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
        var string = string
        return string.withUTF8(body)
    }

    /// Checks and stores one entry whose key is `keyPrefix` + `key`.
    private mutating func append(
        _ keyPrefix: UnsafeBufferPointer<UInt8>, _ key: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>,
        priority: UInt32
    ) -> Bool {
        // Reductions without branches, which the compiler vectorises: no byte has its top bit set, and the
        // smallest byte is not 0.
        guard (keyPrefix.reduce(0, |) | key.reduce(0, |)) < 0x80, value.reduce(UInt8.max, min) != 0 else { return false }
        entries.append(
            Entry(
                keyStart: keyBytes.count, keyLength: keyPrefix.count + key.count, valueStart: valueBytes.count,
                valueLength: value.count, priority: priority))
        keyBytes.append(contentsOf: keyPrefix)
        keyBytes.append(contentsOf: key)
        valueBytes.append(contentsOf: value)
        return true
    }

    /// Makes room for `count` entries whose keys and values take `keyBytes` and `valueBytes`, for a caller that
    /// knows: the arrays then grow once, instead of doubling their way up, copying and touching new memory each
    /// time (`modules.dep.bin`'s values alone are ~700 KB).
    mutating func reserveCapacity(entries count: Int, keyBytes: Int, valueBytes: Int) {
        entries.reserveCapacity(entries.count + count)
        self.keyBytes.reserveCapacity(self.keyBytes.count + keyBytes)
        self.valueBytes.reserveCapacity(self.valueBytes.count + valueBytes)
    }

    /// Keys that received the same value more than once (what `depmod -w` warns about), in key order.
    var duplicateValues: [(key: String, value: String)] {
        let sorted = sortedEntries()
        var result = [(key: String, value: String)]()
        var start = 0
        while start < sorted.count {
            let key = keyBytes[sorted[start].keyStart..<sorted[start].keyEnd]
            var end = start + 1
            while end < sorted.count && keyBytes[sorted[end].keyStart..<sorted[end].keyEnd] == key { end += 1 }
            var seen = Set<ArraySlice<UInt8>>()
            for entry in sorted[start..<end] {
                let value = valueBytes[entry.valueStart..<entry.valueEnd]
                if !seen.insert(value).inserted {
                    result.append((String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self)))
                }
            }
            start = end
        }
        return result
    }

    /// The index file's bytes in `layout`.
    func serialized(_ layout: IndexLayout) throws(IndexFormatError) -> [UInt8] {
        let trie = FlatTrie(keyBytes: keyBytes, valueBytes: valueBytes, sortedEntries: sortedEntries())
        return try IndexWriter.bytes(of: trie, layout: layout)
    }

    /// The entries in index order (see `EntryOrder`).
    private func sortedEntries() -> [Entry] {
        EntryOrder.sorted(entries, keys: keyBytes)
    }
}

/// Which node order an index is written in (see `IndexWriter`).
public enum IndexLayout: String, Sendable, CaseIterable {
    /// Post-order, root last: what kmod 30–33 write and Debian 12's libkmod reads.
    case v30
    /// Pre-order, root first: what kmod 34 writes.
    case v34
}

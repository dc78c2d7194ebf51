#if canImport(Glibc)
    import Glibc
#endif

/// Paul Hsieh's SuperFastHash, as kmod's hash table uses it. The table's iteration order (bucket, then byte
/// order) decides the line order of `modules.symbols` and of every module `modules.order` does not list, so this
/// must match kmod bit for bit (docs/depmod-index.md, The hash, with checked values).
enum SuperFastHash {
    static func hash(_ key: String) -> UInt32 {
        var key = key
        return key.withUTF8 { hash($0) }
    }

    /// The hash of `bytes`. Two-byte groups are read little-endian (kmod reads them in host order on x86-64);
    /// tail bytes are sign-extended, as C's `char` is on x86.
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        func pair(_ index: Int) -> UInt32 { UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 }
        func signed(_ index: Int) -> UInt32 { UInt32(bitPattern: Int32(Int8(bitPattern: bytes[index]))) }

        var hash = UInt32(truncatingIfNeeded: bytes.count)
        var index = 0
        while bytes.count - index >= 4 {
            hash &+= pair(index)
            let mixed = (pair(index + 2) << 11) ^ hash
            hash = (hash << 16) ^ mixed
            hash &+= hash >> 11
            index += 4
        }
        switch bytes.count - index {
        case 3:
            hash &+= pair(index)
            hash ^= hash << 16
            hash ^= signed(index + 2) << 18
            hash &+= hash >> 11
        case 2:
            hash &+= pair(index)
            hash ^= hash << 11
            hash &+= hash >> 17
        case 1:
            hash &+= signed(index)
            hash ^= hash << 10
            hash &+= hash >> 1
        default:
            break
        }
        hash ^= hash << 3
        hash &+= hash >> 5
        hash ^= hash << 4
        hash &+= hash >> 17
        hash ^= hash << 25
        hash &+= hash >> 6
        return hash
    }
}

/// The order in which kmod's hash table (with `buckets` buckets, a power of two) iterates its keys: ascending
/// bucket, then ascending bytes (`strcmp`) within a bucket.
struct HashTableOrder {
    let buckets: UInt32

    /// kmod's module table (`modules_by_name`).
    static let modules = HashTableOrder(buckets: 512)
    /// kmod's symbol table (`symbols`).
    static let symbols = HashTableOrder(buckets: 2048)

    /// `items` sorted into this table's iteration order by `key`: distributed into their buckets (a counting
    /// sort), then each bucket — a handful of keys — sorted by its keys' first eight bytes as integers, keys alike
    /// that far compared whole.
    func sorted<T>(_ items: [T], by key: (T) -> String) -> [T] {
        order(of: items, by: key).map { items[$0] }
    }

    /// The positions of `items` in this table's iteration order by `key` (see `sorted`): for callers that sort
    /// further and would otherwise move the items twice.
    func order<T>(of items: [T], by key: (T) -> String) -> [Int] {
        let keys = items.map(key)
        let bucketOf = keys.map { Int(SuperFastHash.hash($0) & (buckets - 1)) }
        var starts = [Int](repeating: 0, count: Int(buckets) + 1)
        for bucket in bucketOf { starts[bucket + 1] += 1 }
        for bucket in 0..<Int(buckets) { starts[bucket + 1] += starts[bucket] }
        var order = [(prefix: UInt64, item: Int)](repeating: (0, 0), count: items.count)
        var next = starts
        for (item, bucket) in bucketOf.enumerated() {
            order[next[bucket]] = (Self.leadingBytes(of: keys[item]), item)
            next[bucket] += 1
        }
        for bucket in 0..<Int(buckets) where starts[bucket + 1] - starts[bucket] > 1 {
            order[starts[bucket]..<starts[bucket + 1]].sort { left, right in
                left.prefix != right.prefix ? left.prefix < right.prefix : bytewiseLess(keys[left.item], keys[right.item])
            }
        }
        return order.map(\.item)
    }

    /// The first eight bytes of `key` as a big-endian integer, zero-padded: ordered as `strcmp` orders the keys
    /// (C strings hold no zero bytes, so a shorter key's padding sorts first, as its end does).
    private static func leadingBytes(of key: String) -> UInt64 {
        var value: UInt64 = 0
        var taken = 0
        for byte in key.utf8.prefix(8) {
            value = value << 8 | UInt64(byte)
            taken += 1
        }
        return taken == 8 ? value : value << (8 * UInt64(8 - taken))
    }
}

/// `strcmp` order: unsigned bytes of the UTF-8 encoding, a prefix first.
func bytewiseLess(_ lhs: String, _ rhs: String) -> Bool {
    var lhs = lhs
    var rhs = rhs
    return lhs.withUTF8 { left in
        rhs.withUTF8 { right in
            let common = min(left.count, right.count)
            let compared = common == 0 ? 0 : memcmp(left.baseAddress!, right.baseAddress!, common)
            return compared != 0 ? compared < 0 : left.count < right.count
        }
    }
}

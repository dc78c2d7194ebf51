#if canImport(Glibc)
    import Glibc
#endif

/// Who provides each symbol: an open-addressing hash table keyed by the names' UTF-8 bytes.
///
/// A distribution kernel's modules import about 190,000 symbols; looking each up in a `[String: …]` costs a
/// SipHash of the name plus reference counting per lookup, which made resolution the largest part of re-indexing
/// after an install. Here a name is hashed eight bytes at a time (multiply-rotate, as rustc's FxHash) and compared
/// with `memcmp` against the arena copy of the stored name; the table is only read once built, so threads share it.
struct SymbolOwners: Sendable {
    /// The owning module's position (-1: the kernel itself) and the CRC the owner gives the symbol.
    struct Owner: Sendable {
        var module: Int
        var crc: UInt64
    }

    /// Stored names, back to back.
    private var arena: [UInt8] = []
    private var names: [(start: Int, count: Int, hash: UInt64)] = []
    /// Per entry, in the order names were first set: the name and its owner.
    private(set) var keys: [String] = []
    private(set) var owners: [Owner] = []
    /// Entry number + 1 per slot; 0 is an empty slot. The count is a power of two at least twice the entries'.
    private var slots: [UInt32]

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        slots = [UInt32](repeating: 0, count: size)
        arena.reserveCapacity(capacity * 24)
        names.reserveCapacity(capacity)
        keys.reserveCapacity(capacity)
        owners.reserveCapacity(capacity)
    }

    var count: Int { names.count }

    /// Gives `name` to `owner`, replacing any earlier owner (the last module to export a symbol provides it).
    mutating func set(_ name: String, to owner: Owner) {
        var spelling = name
        spelling.withUTF8 { bytes in
            let hash = Self.hash(bytes)
            if let entry = withLookup({ $0.entry(of: bytes, hash: hash) }) {
                owners[entry] = owner
                return
            }
            if (names.count + 1) * 2 > slots.count { grow() }
            names.append((arena.count, bytes.count, hash))
            arena.append(contentsOf: bytes)
            keys.append(name)
            owners.append(owner)
            let slot = withLookup { $0.slot(of: bytes, hash: hash) }
            slots[slot] = UInt32(names.count)
        }
    }

    /// Runs `body` with a read-only view of the table for lookups. The view holds plain pointers: sharing it
    /// between threads, and looking up 190,000 names through it, costs no reference counting.
    func withLookup<R>(_ body: (Lookup) -> R) -> R {
        arena.withUnsafeBufferPointer { arena in
            names.withUnsafeBufferPointer { names in
                owners.withUnsafeBufferPointer { owners in
                    slots.withUnsafeBufferPointer { slots in
                        body(Lookup(arena: arena, names: names, owners: owners, slots: slots))
                    }
                }
            }
        }
    }

    /// The table's storage, borrowed for lookups (see `withLookup`).
    struct Lookup: @unchecked Sendable {
        fileprivate let arena: UnsafeBufferPointer<UInt8>
        fileprivate let names: UnsafeBufferPointer<(start: Int, count: Int, hash: UInt64)>
        fileprivate let owners: UnsafeBufferPointer<Owner>
        fileprivate let slots: UnsafeBufferPointer<UInt32>

        /// The owner of the symbol spelt `bytes`, nil if nothing provides it.
        func owner(of bytes: UnsafeBufferPointer<UInt8>) -> Owner? {
            entry(of: bytes, hash: SymbolOwners.hash(bytes)).map { owners[$0] }
        }

        /// The entry number of `bytes`, nil if the table does not hold it.
        func entry(of bytes: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int? {
            let entry = Int(slots[slot(of: bytes, hash: hash)])
            return entry == 0 ? nil : entry - 1
        }

        /// The slot holding `bytes`, or the empty slot where it would go (linear probing).
        func slot(of bytes: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int {
            let mask = slots.count - 1
            var slot = Int(truncatingIfNeeded: hash) & mask
            while true {
                let entry = Int(slots[slot])
                if entry == 0 { return slot }
                let name = names[entry - 1]
                if name.hash == hash && name.count == bytes.count
                    && (bytes.count == 0 || memcmp(arena.baseAddress! + name.start, bytes.baseAddress!, bytes.count) == 0)
                {
                    return slot
                }
                slot = (slot + 1) & mask
            }
        }
    }

    private mutating func grow() {
        slots = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (index, name) in names.enumerated() {
            var slot = Int(truncatingIfNeeded: name.hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(index + 1)
        }
    }

    /// FxHash over eight-byte words, the tail zero-padded, the length mixed in, then folded so the low bits
    /// (which pick the slot) depend on every byte.
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let seed: UInt64 = 0x51_7c_c1_b7_27_22_0a_95
        var hash = UInt64(bytes.count) &* seed
        guard let base = bytes.baseAddress else { return hash }
        let raw = UnsafeRawPointer(base)
        var offset = 0
        while offset + 8 <= bytes.count {
            hash = (((hash << 5) | (hash >> 59)) ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* seed
            offset += 8
        }
        if offset < bytes.count {
            var tail: UInt64 = 0
            for index in offset..<bytes.count { tail |= UInt64(bytes[index]) << (8 * UInt64(index - offset)) }
            hash = (((hash << 5) | (hash >> 59)) ^ tail) &* seed
        }
        return hash ^ (hash >> 29) ^ (hash >> 43)
    }
}

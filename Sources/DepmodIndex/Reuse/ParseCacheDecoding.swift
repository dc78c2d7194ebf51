import Codecs
import ModuleELF
import SystemSupport

/// Decodes what `CacheWriter` wrote (format: `ParseCache`); any inconsistency throws, and the caller then starts
/// from an empty cache.
struct CacheReader {
    struct Truncated: Error {}

    private var bytes: [UInt8]
    private var offset = 0
    /// Where each string of the table is in `bytes`.
    private var spans: [(start: Int, count: Int)] = []
    /// The strings made so far, by number: one `String` per table string, however many records name it.
    private var made: [String?] = []
    /// The table, once `bytes` is complete; cached imports refer to it.
    private var strings: CacheStrings?

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func readCache() throws(Truncated) -> ParseCache {
        guard bytes.starts(with: ParseCache.header), bytes.count >= ParseCache.header.count + 4 else { throw Truncated() }
        let stored = bytes[(bytes.count - 4)...].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let computed = bytes.withUnsafeBytes { Checksum.crc32(UnsafeRawBufferPointer(rebasing: $0[..<(bytes.count - 4)])) }
        guard stored == computed else { throw Truncated() }
        bytes.removeLast(4)
        offset = ParseCache.header.count
        let compactedStringCount = try count()
        let stringCount = try count()
        let stringRecordsStart = offset
        spans.reserveCapacity(stringCount)
        for _ in 0..<stringCount {
            let length = try count()
            spans.append((offset, length))
            offset += length
        }
        made = Array(repeating: nil, count: stringCount)
        strings = CacheStrings(bytes: bytes, spans: spans)
        let stringRecords = stringRecordsStart..<offset
        var cache = ParseCache()
        let entryCount = try count()
        cache.entries.reserveCapacity(entryCount)
        for _ in 0..<entryCount {
            let start = offset
            let path = try string()
            var entry = try self.entry()
            entry.encoded = start..<offset
            cache.entries[path] = entry
        }
        cache.fingerprint = try string()
        for _ in 0..<(try count()) {
            let name = try string()
            guard let size = Int(exactly: try integer()) else { throw Truncated() }
            let modification = Int64(bitPattern: try integer())
            let inode = try integer()
            let digest = try byte() == 1 ? try bytes(count: InputDigests.digestLength) : nil
            cache.outputs[name] = OutputRecord(size: size, modificationNanoseconds: modification, inode: inode, inputDigest: digest)
        }
        guard offset == bytes.count else { throw Truncated() }
        cache.source = EncodedSource(
            bytes: bytes, stringRecords: stringRecords, stringCount: stringCount, compactedStringCount: compactedStringCount)
        return cache
    }

    /// One entry after its path: the file's status and what it holds.
    private mutating func entry() throws(Truncated) -> ParseCache.Entry {
        let size = Int64(bitPattern: try integer())
        let modification = Int64(bitPattern: try integer())
        let inode = try integer()
        let device = try integer()
        let status = FileStatus(kind: .regularFile, size: size, device: device, inode: inode, modificationNanoseconds: modification)
        var facts = ModuleFacts()
        if try byte() == 0 {
            facts.unreadableReason = try string()
        } else {
            let exportCount = try count()
            facts.exports.reserveCapacity(exportCount)
            for _ in 0..<exportCount {
                let name = try string()
                let hasCRC = try byte() == 1
                let crc = try integer()
                facts.exports.append(.init(name: name, crc: hasCRC ? crc : nil))
            }
            // Imports stay encoded; only their string numbers are checked here.
            let importCount = try count()
            let importsStart = offset
            guard importCount <= (bytes.count - offset) / CachedImports.recordSize else { throw Truncated() }
            let tableSize = spans.count
            let namesValid = bytes.withUnsafeBytes { raw in
                (0..<importCount).allSatisfy { record in
                    let name = raw.loadUnaligned(fromByteOffset: importsStart + record * CachedImports.recordSize, as: UInt32.self)
                    return Int(UInt32(littleEndian: name)) < tableSize
                }
            }
            guard namesValid else { throw Truncated() }
            offset += importCount * CachedImports.recordSize
            facts.importList = .cached(CachedImports(strings: strings!, start: importsStart, count: importCount))
            let modinfoCount = try count()
            facts.modinfo.reserveCapacity(modinfoCount)
            for _ in 0..<modinfoCount {
                facts.modinfo.append(ModinfoEntry(key: try string(), value: try string()))
            }
        }
        return ParseCache.Entry(status: status, facts: facts)
    }

    private mutating func byte() throws(Truncated) -> UInt8 {
        guard offset < bytes.count else { throw Truncated() }
        offset += 1
        return bytes[offset - 1]
    }

    private mutating func bytes(count: Int) throws(Truncated) -> [UInt8] {
        guard offset + count <= bytes.count else { throw Truncated() }
        offset += count
        return Array(bytes[(offset - count)..<offset])
    }

    private mutating func integer() throws(Truncated) -> UInt64 {
        try littleEndian(width: 8)
    }

    private mutating func count() throws(Truncated) -> Int {
        let value = Int(try littleEndian(width: 4))
        // No count can exceed the bytes left; this stops a corrupt count from reserving gigabytes.
        guard value <= bytes.count - offset else { throw Truncated() }
        return value
    }

    private mutating func string() throws(Truncated) -> String {
        let index = Int(try littleEndian(width: 4))
        guard index < spans.count else { throw Truncated() }
        if let string = made[index] { return string }
        let span = spans[index]
        let string = String(decoding: bytes[span.start..<(span.start + span.count)], as: UTF8.self)
        made[index] = string
        return string
    }

    /// The next `width` bytes as a little-endian unsigned integer.
    private mutating func littleEndian(width: Int) throws(Truncated) -> UInt64 {
        guard offset + width <= bytes.count else { throw Truncated() }
        let start = offset
        offset += width
        return bytes.withUnsafeBytes { raw in
            width == 8
                ? UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start, as: UInt64.self))
                : UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start, as: UInt32.self)))
        }
    }
}

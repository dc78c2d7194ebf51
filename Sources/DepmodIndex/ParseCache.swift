import Codecs
import ModuleELF
import SystemPackage
import SystemSupport

/// What earlier runs read from each module, kept next to the index (`modules.kmodmgr-cache.bin`), so that a run
/// after one module changed reads only that module.
///
/// An entry is used only if the file still has the same path, size, modification time (to the nanosecond),
/// inode and device (not the status-change time: hard links and chmod change it without changing the module);
/// the whole cache is ignored if another kmodmgr version or format wrote it. The file also records the inputs of the run that wrote it (`fingerprint`) and the sizes of the index files it published,
/// which is how `-A` tells an up-to-date index from a stale one — including deleted and renamed modules.
///
/// Format (little-endian): the `header` line; a string table (u32 count, then each string as u32 length and
/// UTF-8 bytes) — the same symbol names recur in thousands of modules, so every string below is a u32 index into
/// it; then u32 entry count and entries. Entry: path, i64 size, i64 mtime ns, u64 inode, u64 device, u8 readable
/// flag, then either a reason or the facts (exports: name, u8 has-CRC, u64 CRC; imports: name, u64 CRC, u8 weak;
/// modinfo: key, value; each list prefixed by its u32 count). Then the fingerprint and u32 count of
/// `(file name, u64 size)` output records. Last, the CRC-32 of everything before it: a cache is trusted to stand
/// in for the modules, so a damaged one must be noticed, not believed.
struct ParseCache {
    static let fileName = "modules.kmodmgr-cache.bin"
    static let header = Array("kmodmgr \(kmodmgrVersion) depmod cache 3\n".utf8)

    struct Entry: Sendable {
        let status: FileStatus
        let facts: ModuleFacts
    }

    var entries: [String: Entry] = [:]
    var fingerprint = ""
    var outputSizes: [String: Int] = [:]

    init() {}

    /// The cache in `directory`, or an empty one if it is missing, unreadable or from another version.
    static func load(from directory: FilePath) -> ParseCache {
        guard let bytes = try? FileBytes.read(directory.appending(fileName)) else { return ParseCache() }
        var reader = CacheReader(bytes: bytes)
        return (try? reader.readCache()) ?? ParseCache()
    }

    /// The file's bytes, in two steps: everything but the index file sizes can be encoded while the index files
    /// are still being made (it is the longest single job of a run that read every module).
    func encoded() -> PendingCache {
        var body = CacheWriter()
        // Roughly one distinct string per four written (symbol names recur across modules): reserve for that
        // instead of growing the table a dozen times.
        let written = entries.values.reduce(entries.count) {
            $0 + $1.facts.exports.count + $1.facts.imports.count + 2 * $1.facts.modinfo.count
        }
        body.reserveStrings(written / 4)
        body.bytes.reserveCapacity(written * 8)
        // The index file names come first in the string table, so their sizes can be appended by position later.
        for file in IndexFile.allCases { body.intern(file.fileName) }
        for (path, entry) in entries.sorted(by: { $0.key < $1.key }) {
            body.string(path)
            body.integer(UInt64(bitPattern: entry.status.size))
            body.integer(UInt64(bitPattern: entry.status.modificationNanoseconds))
            body.integer(entry.status.inode)
            body.integer(entry.status.device)
            let facts = entry.facts
            if let reason = facts.unreadableReason {
                body.bytes.append(0)
                body.string(reason)
                continue
            }
            body.bytes.append(1)
            body.count(facts.exports.count)
            for export in facts.exports {
                body.string(export.name)
                body.bytes.append(export.crc == nil ? 0 : 1)
                body.integer(export.crc ?? 0)
            }
            body.count(facts.imports.count)
            for symbol in facts.imports {
                body.string(symbol.name)
                body.integer(symbol.crc)
                body.bytes.append(symbol.isWeak ? 1 : 0)
            }
            body.count(facts.modinfo.count)
            for entry in facts.modinfo {
                body.string(entry.key)
                body.string(entry.value)
            }
        }
        body.string(fingerprint)

        var file = CacheWriter()
        file.bytes.reserveCapacity(body.bytes.count + body.strings.count * 24)
        file.bytes.append(contentsOf: Self.header)
        file.count(body.strings.count)
        for string in body.strings {
            file.count(string.utf8.count)
            file.bytes.append(contentsOf: string.utf8)
        }
        file.count(entries.count)
        file.bytes.append(contentsOf: body.bytes)
        let checksum = file.bytes.withUnsafeBytes { Checksum.crc32($0) }
        return PendingCache(bytes: file.bytes, checksum: checksum)
    }
}

/// An encoded cache still missing the sizes of the index files it goes with.
struct PendingCache: Sendable {
    fileprivate var bytes: [UInt8]
    /// The CRC-32 of `bytes`, computed while the index files were made, so sealing is cheap.
    fileprivate let checksum: UInt32

    /// The complete file: the sizes of the ten index files, then the CRC-32 of everything before it. Consumes
    /// the pending bytes, so the megabytes are appended to rather than copied.
    consuming func sealed(outputSizes: [IndexFile: Int]) -> [UInt8] {
        var tail = CacheWriter()
        tail.count(IndexFile.allCases.count)
        for (position, file) in IndexFile.allCases.enumerated() {
            tail.count(position)  // the file name's index in the string table
            tail.integer(UInt64(outputSizes[file] ?? 0))
        }
        let tailChecksum = tail.bytes.withUnsafeBytes { Checksum.crc32($0) }
        var file = bytes
        bytes = []
        file.append(contentsOf: tail.bytes)
        var checksumWriter = CacheWriter()
        checksumWriter.count(Int(Checksum.combine(checksum, tailChecksum, secondLength: tail.bytes.count)))
        file.append(contentsOf: checksumWriter.bytes)
        return file
    }
}

private struct CacheWriter {
    var bytes: [UInt8] = []
    /// The string table, in order of first use.
    var strings: [String] = []
    private var indexOf: [String: UInt32] = [:]

    mutating func integer(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func count(_ value: Int) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    mutating func reserveStrings(_ count: Int) {
        indexOf.reserveCapacity(count)
        strings.reserveCapacity(count)
    }

    /// Writes `value` as its index in the string table, adding it on first use.
    mutating func string(_ value: String) {
        count(Int(intern(value)))
    }

    /// The index of `value` in the string table, adding it on first use.
    @discardableResult
    mutating func intern(_ value: String) -> UInt32 {
        if let index = indexOf[value] { return index }
        let index = UInt32(strings.count)
        strings.append(value)
        indexOf[value] = index
        return index
    }
}

/// Decodes what `CacheWriter` wrote; any inconsistency throws, and the caller then starts from an empty cache.
private struct CacheReader {
    struct Truncated: Error {}

    var bytes: [UInt8]
    var offset = 0
    /// The string table; shared strings stay shared in memory.
    var table: [String] = []

    mutating func readCache() throws(Truncated) -> ParseCache {
        guard bytes.starts(with: ParseCache.header), bytes.count >= ParseCache.header.count + 4 else { throw Truncated() }
        let stored = bytes[(bytes.count - 4)...].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let computed = bytes.withUnsafeBytes { Checksum.crc32(UnsafeRawBufferPointer(rebasing: $0[..<(bytes.count - 4)])) }
        guard stored == computed else { throw Truncated() }
        bytes.removeLast(4)
        offset = ParseCache.header.count
        let stringCount = try count()
        table.reserveCapacity(stringCount)
        for _ in 0..<stringCount {
            let length = try count()
            table.append(String(decoding: bytes[offset..<(offset + length)], as: UTF8.self))
            offset += length
        }
        var cache = ParseCache()
        let entryCount = try count()
        cache.entries.reserveCapacity(entryCount)
        for _ in 0..<entryCount {
            let path = try string()
            let size = Int64(bitPattern: try integer())
            let modification = Int64(bitPattern: try integer())
            let inode = try integer()
            let device = try integer()
            let status = FileStatus(
                kind: .regularFile, size: size, device: device, inode: inode, modificationNanoseconds: modification)
            var facts = ModuleFacts()
            if try byte() == 0 {
                facts.unreadableReason = try string()
            } else {
                for _ in 0..<(try count()) {
                    let name = try string()
                    let hasCRC = try byte() == 1
                    let crc = try integer()
                    facts.exports.append(.init(name: name, crc: hasCRC ? crc : nil))
                }
                for _ in 0..<(try count()) {
                    facts.imports.append(.init(name: try string(), crc: try integer(), isWeak: try byte() == 1))
                }
                for _ in 0..<(try count()) {
                    facts.modinfo.append(ModinfoEntry(key: try string(), value: try string()))
                }
            }
            cache.entries[path] = ParseCache.Entry(status: status, facts: facts)
        }
        cache.fingerprint = try string()
        for _ in 0..<(try count()) {
            let name = try string()
            guard let size = Int(exactly: try integer()) else { throw Truncated() }
            cache.outputSizes[name] = size
        }
        guard offset == bytes.count else { throw Truncated() }
        return cache
    }

    mutating func byte() throws(Truncated) -> UInt8 {
        guard offset < bytes.count else { throw Truncated() }
        offset += 1
        return bytes[offset - 1]
    }

    mutating func integer() throws(Truncated) -> UInt64 {
        try littleEndian(width: 8)
    }

    mutating func count() throws(Truncated) -> Int {
        let value = Int(try littleEndian(width: 4))
        // No count can exceed the bytes left; this stops a corrupt count from reserving gigabytes.
        guard value <= bytes.count - offset else { throw Truncated() }
        return value
    }

    mutating func string() throws(Truncated) -> String {
        let index = Int(try littleEndian(width: 4))
        guard index < table.count else { throw Truncated() }
        return table[index]
    }

    /// The next `width` bytes as a little-endian unsigned integer.
    private mutating func littleEndian(width: Int) throws(Truncated) -> UInt64 {
        guard offset + width <= bytes.count else { throw Truncated() }
        var value: UInt64 = 0
        for index in (0..<width).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
        offset += width
        return value
    }
}

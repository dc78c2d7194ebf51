import Codecs

extension ParseCache {
    /// The file's bytes, in two steps: everything but the index file sizes can be encoded while the index files
    /// are still being made.
    ///
    /// When nearly every entry is unchanged since the cache was loaded, their bytes and the string table are
    /// copied and only the new entries encoded, appending their strings to the table — the usual case after an
    /// install, where encoding 4,000 modules again would be the longest single job of the run. Strings left unused
    /// by changed or deleted entries stay in the table until it has grown by a quarter; then, or when many
    /// entries changed, the cache is written whole again.
    func encoded() -> PendingCache {
        if let source, copiesPay(from: source) { return encoded(copyingFrom: source) }
        return encodedWhole()
    }

    private func copiesPay(from source: EncodedSource) -> Bool {
        let copied = entries.values.count { $0.encoded != nil }
        return copied * 8 >= entries.count * 7 && source.stringCount * 4 <= source.compactedStringCount * 5
    }

    private func encodedWhole() -> PendingCache {
        var body = CacheWriter()
        // Roughly one distinct string per four written (symbol names recur across modules): reserve for that
        // instead of growing the table a dozen times.
        let written = entries.values.reduce(entries.count) {
            $0 + $1.facts.exports.count + $1.facts.importList.count + 2 * $1.facts.modinfo.count
        }
        body.reserveStrings(written / 4)
        body.bytes.reserveCapacity(written * 8)
        // The index file names come first in the string table, so their sizes can be appended by position later.
        for file in IndexFile.allCases { body.intern(file.fileName) }
        for (path, entry) in entries.sorted(by: { $0.key < $1.key }) { body.entry(path, entry) }
        body.string(fingerprint)

        var file = CacheWriter()
        file.bytes.reserveCapacity(body.bytes.count + body.strings.count * 24)
        file.bytes.append(contentsOf: Self.header)
        file.count(body.strings.count)
        file.count(body.strings.count)
        file.stringRecords(body.strings)
        file.count(entries.count)
        file.bytes.append(contentsOf: body.bytes)
        return PendingCache(bytes: file.bytes)
    }

    /// The unchanged entries' bytes copied from `source`, new strings numbered after its table.
    private func encoded(copyingFrom source: EncodedSource) -> PendingCache {
        var body = CacheWriter(firstIndex: source.stringCount)
        body.bytes.reserveCapacity(source.bytes.count - source.stringRecords.count)
        for (path, entry) in entries {
            if let range = entry.encoded {
                body.bytes.append(contentsOf: source.bytes[range])
            } else {
                body.entry(path, entry)
            }
        }
        body.string(fingerprint)

        var file = CacheWriter()
        file.bytes.reserveCapacity(source.bytes.count + body.bytes.count)
        file.bytes.append(contentsOf: Self.header)
        file.count(source.compactedStringCount)
        file.count(source.stringCount + body.strings.count)
        file.bytes.append(contentsOf: source.bytes[source.stringRecords])
        file.stringRecords(body.strings)
        file.count(entries.count)
        file.bytes.append(contentsOf: body.bytes)
        return PendingCache(bytes: file.bytes)
    }
}

/// An encoded cache still missing the records of the index files it goes with.
struct PendingCache: Sendable {
    fileprivate var bytes: [UInt8]
    /// The CRC-32 of `bytes`, computed while the index files are made, so sealing is cheap.
    fileprivate let checksum: UInt32

    fileprivate init(bytes: [UInt8]) {
        self.bytes = bytes
        checksum = bytes.withUnsafeBytes { Checksum.crc32($0) }
    }

    /// The complete file: the records of the ten index files as published, then the CRC-32 of everything before
    /// it. Consumes the pending bytes, so the megabytes are appended to rather than copied.
    consuming func sealed(outputs: [IndexFile: OutputRecord]) -> [UInt8] {
        var tail = CacheWriter()
        let published = IndexFile.allCases.enumerated().compactMap { position, file in outputs[file].map { (position, $0) } }
        tail.count(published.count)
        for (position, record) in published {
            tail.count(position)  // the file name's index in the string table
            tail.integer(UInt64(record.size))
            tail.integer(UInt64(bitPattern: record.modificationNanoseconds))
            tail.integer(record.inode)
            if let digest = record.inputDigest {
                tail.bytes.append(1)
                tail.bytes.append(contentsOf: digest)
            } else {
                tail.bytes.append(0)
            }
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

/// Appends the cache's integers, strings (as string-table indices) and entries.
private struct CacheWriter {
    var bytes: [UInt8] = []
    /// The strings added to the table, in order of first use.
    var strings: [String] = []
    private var indexOf: [String: UInt32] = [:]
    /// The index of `strings[0]`: the size of the table the new strings are appended to.
    private let firstIndex: Int

    init(firstIndex: Int = 0) {
        self.firstIndex = firstIndex
    }

    mutating func integer(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func count(_ value: Int) {
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian) { bytes.append(contentsOf: $0) }
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
        let index = UInt32(firstIndex + strings.count)
        strings.append(value)
        indexOf[value] = index
        return index
    }

    /// The string table's records: each string's length and bytes.
    mutating func stringRecords(_ table: [String]) {
        for string in table {
            count(string.utf8.count)
            bytes.append(contentsOf: string.utf8)
        }
    }

    /// One module's entry (format: `ParseCache`).
    mutating func entry(_ path: String, _ entry: ParseCache.Entry) {
        string(path)
        integer(UInt64(bitPattern: entry.status.size))
        integer(UInt64(bitPattern: entry.status.modificationNanoseconds))
        integer(entry.status.inode)
        integer(entry.status.device)
        let facts = entry.facts
        if let reason = facts.unreadableReason {
            bytes.append(0)
            string(reason)
            return
        }
        bytes.append(1)
        count(facts.exports.count)
        for export in facts.exports {
            string(export.name)
            bytes.append(export.crc == nil ? 0 : 1)
            integer(export.crc ?? 0)
        }
        let imports = facts.imports
        count(imports.count)
        for symbol in imports {
            string(symbol.name)
            integer(symbol.crc)
            bytes.append(symbol.isWeak ? 1 : 0)
        }
        count(facts.modinfo.count)
        for modinfo in facts.modinfo {
            string(modinfo.key)
            string(modinfo.value)
        }
    }
}

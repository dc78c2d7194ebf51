import SystemPackage
import SystemSupport

/// What earlier runs read from each module, kept next to the index (`modules.kmodmgr-cache.bin`), so that a run
/// after one module changed reads only that module.
///
/// An entry is used only if the file still has the same path, size, modification time (to the nanosecond),
/// inode and device (not the status-change time: hard links and chmod change it without changing the module);
/// the whole cache is ignored if another kmodmgr version or format wrote it. The file also records the inputs of
/// the run that wrote it (`fingerprint`) and the sizes of the index files it published, which is how `-A` tells
/// an up-to-date index from a stale one — including deleted and renamed modules.
///
/// Format (little-endian): the `header` line; u32 `compactedStringCount`; a string table (u32 count, then each
/// string as u32 length and UTF-8 bytes) — the same symbol names recur in thousands of modules, so every string
/// below is a u32 index into it; then u32 entry count and entries. Entry: path, i64 size, i64 mtime ns, u64 inode,
/// u64 device, u8 readable flag, then either a reason or the facts (exports: name, u8 has-CRC, u64 CRC; imports:
/// name, u64 CRC, u8 weak; modinfo: key, value; each list prefixed by its u32 count). Then the fingerprint and
/// u32 count of output records (file name, u64 size, i64 mtime ns, u64 inode, u8 has-digest, 8-byte digest (CRC-64) of
/// the file's inputs if it has one: `OutputRecord`). Last, the CRC-32 of everything before it: a cache is
/// trusted to stand in for the modules, so a damaged one must be noticed, not believed.
///
/// Loading makes a `String` only for what the index files use (paths, exports, `.modinfo`); the 190,000 import
/// records stay in the file's bytes (`CachedImports`) and are resolved by string number.
///
/// Rewriting the cache after one module changed copies every unchanged entry's bytes and appends the new
/// strings to the table (`ParseCacheEncoding.swift`) instead of encoding 4,000 modules again; strings no entry
/// uses any more pile up until the table has grown by a quarter since it was last written whole.
struct ParseCache {
    static let fileName = "modules.kmodmgr-cache.bin"
    static let header = Array("kmodmgr \(kmodmgrVersion) depmod cache 5\n".utf8)

    struct Entry: Sendable {
        let status: FileStatus
        let facts: ModuleFacts
        /// Where the entry's bytes are in `source`, when it was loaded from there.
        var encoded: Range<Int>? = nil
    }

    var entries: [String: Entry] = [:]
    var fingerprint = ""
    /// The index files published with this cache, by file name.
    var outputs: [String: OutputRecord] = [:]
    /// The file this cache (or the one it was updated from) was loaded from, for copying unchanged entries.
    var source: EncodedSource?

    init() {}

    /// The cache in `directory`, or an empty one if it is missing, unreadable or from another version.
    static func load(from directory: FilePath) -> ParseCache {
        guard let bytes = try? FileBytes.read(directory.appending(fileName)) else { return ParseCache() }
        var reader = CacheReader(bytes: bytes)
        return (try? reader.readCache()) ?? ParseCache()
    }
}

/// A loaded cache file, kept so that the next one can copy unchanged entries and the string table as bytes.
struct EncodedSource: Sendable {
    /// The whole file without its trailing CRC.
    let bytes: [UInt8]
    /// The string records (length and bytes of each), as they are in `bytes`.
    let stringRecords: Range<Int>
    let stringCount: Int
    /// How many strings the table held when the cache was last written whole (no unused strings then).
    let compactedStringCount: Int
}

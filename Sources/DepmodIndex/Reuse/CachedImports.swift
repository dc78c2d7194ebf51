import ModuleELF

/// The string table of a loaded parse cache, left as bytes: a string is made only when asked for.
///
/// A distribution kernel's cache holds some 50,000 strings and 190,000 import records naming them; making a
/// `String` per record and hashing it again to resolve it cost more than the rest of a re-index. Imports stay
/// encoded instead (`CachedImports`), and resolution looks each table string up once (`SymbolResolution`).
final class CacheStrings: Sendable {
    /// The cache file's bytes (the strings are in there).
    let bytes: [UInt8]
    /// Per string number, where its bytes start in `bytes` and how many there are.
    private let spans: [(start: Int, count: Int)]

    init(bytes: [UInt8], spans: [(start: Int, count: Int)]) {
        self.bytes = bytes
        self.spans = spans
    }

    var count: Int { spans.count }

    func string(_ number: Int) -> String {
        let span = spans[number]
        return String(decoding: bytes[span.start..<(span.start + span.count)], as: UTF8.self)
    }

    /// Runs `body` with the bytes of string `number`.
    func withBytes<R>(of number: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let span = spans[number]
        return bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[span.start..<(span.start + span.count)])) }
    }
}

/// A module's imports as the parse cache holds them: records of a u32 string number, a u64 CRC and a u8 weak
/// flag, `recordSize` bytes each, starting at `start` in the cache's bytes.
struct CachedImports: Sendable {
    static let recordSize = 13

    let strings: CacheStrings
    let start: Int
    let count: Int

    /// Import `index`: the number of its name in `strings`, the CRC it expects, and whether it is weak.
    func record(_ index: Int, in bytes: UnsafeRawBufferPointer) -> (name: Int, crc: UInt64, isWeak: Bool) {
        let offset = start + index * Self.recordSize
        return (
            Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))),
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt64.self)),
            bytes[offset + 12] == 1
        )
    }

    /// The imports as symbols, names made from the table.
    func decoded() -> [ImportedSymbol] {
        strings.bytes.withUnsafeBytes { bytes in
            (0..<count).map { index in
                let symbol = record(index, in: bytes)
                return ImportedSymbol(name: strings.string(symbol.name), crc: symbol.crc, isWeak: symbol.isWeak)
            }
        }
    }
}

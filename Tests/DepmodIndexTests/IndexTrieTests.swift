import TestSupport
import Testing

@testable import DepmodIndex

@Suite struct IndexTrieTests {
    /// The example of docs/depmod-index.md, Binary index format: fat, vfat, dummy with priorities 0, 1, 2.
    @Test func workedExampleIsByteExact() throws {
        var trie = IndexTrie()
        trie.add(key: "fat", value: "kernel/fat.ko:", priority: 0)
        trie.add(key: "vfat", value: "kernel/vfat.ko: kernel/fat.ko", priority: 1)
        trie.add(key: "dummy", value: "kernel/dummy.ko:", priority: 2)
        let bytes = try trie.serialized(.v30)
        #expect(bytes.count == 188)
        #expect(Array(bytes[0..<12]) == [0xB0, 0x07, 0xF4, 0x57, 0x00, 0x02, 0x00, 0x01, 0x20, 0x00, 0x00, 0x6E])
        #expect(Array(bytes[0x0C..<0x11]) == Array("ummy\0".utf8))
        let entries = try IndexReader(bytes).entries()
        #expect(entries.map(\.key) == ["dummy", "fat", "vfat"])
        #expect(entries[2].values.map(\.value) == ["kernel/vfat.ko: kernel/fat.ko"])
    }

    @Test(arguments: IndexLayout.allCases)
    func emptyIndexIsTwelveBytes(layout: IndexLayout) throws {
        let bytes = try IndexTrie().serialized(layout)
        #expect(bytes == [0xB0, 0x07, 0xF4, 0x57, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0C])
        #expect(try IndexReader(bytes).entries().isEmpty)
    }

    @Test(arguments: IndexLayout.allCases)
    func equalPrioritiesComeOutNewestFirstAndLayoutsReadTheSame(layout: IndexLayout) throws {
        var trie = IndexTrie()
        for (key, value, priority) in [
            ("pci:v*", "a", 3), ("pci:v*", "b", 1), ("pci:v*", "c", 3), ("pci:v0001*", "d", 0), ("usb:x", "e", 2),
            ("p", "f", 0), ("pci:v*", "b", 1),
        ] as [(String, String, UInt32)] {
            trie.add(key: key, value: value, priority: priority)
        }
        let entries = try IndexReader(try trie.serialized(layout)).entries()
        #expect(entries.map(\.key) == ["p", "pci:v*", "pci:v0001*", "usb:x"])
        #expect(entries[1].values.map(\.value) == ["b", "b", "c", "a"])
        #expect(entries[1].values.map(\.priority) == [1, 1, 3, 3])
        #expect(trie.duplicateValues.map(\.key) == ["pci:v*"])
    }

    @Test func layoutsDifferInBytesButNotContent() throws {
        var trie = IndexTrie()
        for (index, key) in ["alpha", "alphabet", "beta", "be", "gamma"].enumerated() {
            trie.add(key: key, value: "v\(index)", priority: UInt32(index))
        }
        let v30 = try trie.serialized(.v30)
        let v34 = try trie.serialized(.v34)
        #expect(v30 != v34)
        #expect(v30.count == v34.count)
        #expect(try IndexReader(v30).entries() == IndexReader(v34).entries())
        // v34 puts the root right after the header.
        #expect(Array(v34[8..<12]) == [0x20, 0x00, 0x00, 0x0C])
    }

    /// Thousands of keys with long shared prefixes and lengths on both sides of the sort's 7-byte digits, many
    /// repeated, against the order written out plainly: keys byte by byte (a key before its extensions), values
    /// by ascending priority and, within a priority, newest first.
    @Test(arguments: IndexLayout.allCases)
    func manyKeysComeOutInIndexOrder(layout: IndexLayout) throws {
        var random = SeededGenerator(seed: 34)
        let stems = ["", "a", "pci:v00008086d", "pci:v00008086d0000", "symbol:", "symbol:__tracepoint_", "usb:v1234p"]
        var trie = IndexTrie()
        var added = [(key: [UInt8], value: String, priority: UInt32, position: Int)]()
        for position in 0..<4000 {
            let stem = stems[Int(random.next() % UInt64(stems.count))]
            let suffix = (0..<Int(random.next() % 16)).map { _ in Array("ab_-*[]".utf8)[Int(random.next() % 7)] }
            let key = Array(stem.utf8) + suffix
            let value = "v\(random.next() % 50)"
            let priority = UInt32(random.next() % 4)
            let isAdded = trie.add(key: String(decoding: key, as: UTF8.self), value: value, priority: priority)
            #expect(isAdded)
            added.append((key, value, priority, position))
        }
        let expected = Dictionary(grouping: added, by: \.key).sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { key, values in
            IndexReader.Entry(
                key: String(decoding: key, as: UTF8.self),
                values: values.sorted { ($0.priority, -$0.position) < ($1.priority, -$1.position) }.map { ($0.priority, $0.value) })
        }
        #expect(try IndexReader(try trie.serialized(layout)).entries() == expected)
    }

    @Test func keysAndValuesTheFormatCannotHoldAreLeftOut() throws {
        var trie = IndexTrie()
        let added = [
            trie.add(key: "caf\u{E9}", value: "v", priority: 0),
            trie.add(key: "key", value: "a\0b", priority: 0),
            trie.add(keyPrefix: "symbol:", key: "printk", value: "kernel", priority: 1),
            trie.add(key: Array("pci_1".utf8), value: "", priority: 2),
        ]
        #expect(added == [false, false, true, true])
        let entries = try IndexReader(try trie.serialized(.v30)).entries()
        #expect(entries.map(\.key) == ["pci_1", "symbol:printk"])
        #expect(entries.map { $0.values.map(\.value) } == [[""], ["kernel"]])
    }

    @Test func readerRejectsCorruption() throws {
        var trie = IndexTrie()
        trie.add(key: "key", value: "value", priority: 0)
        var bytes = try trie.serialized(.v30)
        #expect(throws: IndexFormatError.badHeader) { try IndexReader(Array(bytes.dropFirst())) }
        bytes[8] = 0x6F  // root reference far outside the file
        #expect(throws: IndexFormatError.self) { try IndexReader(bytes).entries() }
    }

    @Test func aliasNormalizationKeepsBracketsAndRejectsUnmatched() {
        #expect(AliasNormalization.normalize("pci:v-1[a-z]-x") == "pci:v_1[a-z]_x")
        #expect(AliasNormalization.normalize("a]b") == nil)
        #expect(AliasNormalization.normalize("a[b") == nil)
    }
}

import Testing

@testable import DepmodIndex

@Suite struct SuperFastHashTests {
    @Test(arguments: [
        ("", 0x0000_0000 as UInt32), ("a", 0x115E_A782), ("ext4", 0xE679_AB16), ("fat", 0x8A66_8E00),
        ("vfat", 0x2C7F_74A9), ("dummy", 0x75C8_34BB),
    ])
    func knownValues(key: String, expected: UInt32) {
        #expect(SuperFastHash.hash(key) == expected)
    }

    @Test func moduleTableOrderIsBucketThenBytes() {
        #expect(HashTableOrder.modules.sorted(["dummy", "vfat", "fat"], by: { $0 }) == ["fat", "vfat", "dummy"])
    }
}

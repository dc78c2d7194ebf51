import Codecs
import Foundation
import TestSupport
import Testing

@Suite struct RoundTripTests {
    static let compressed: [CompressionFormat] = [.gzip, .xz, .zstd]

    @Test(arguments: compressed)
    func realModulesRoundTrip(format: CompressionFormat) throws {
        for module in try InstalledKernel.find().sample(12) {
            let plain = try bytes(of: module)
            let packed = try Codec.compress(plain, to: format)
            #expect(CompressionFormat.sniff(packed.prefix(8)) == format)
            #expect(packed.count < plain.count)
            #expect(try Codec.decompress(packed, from: format) == plain, "\(module.path) via \(format)")
        }
    }

    @Test(arguments: compressed)
    func emptyAndLargeInputsRoundTrip(format: CompressionFormat) throws {
        var generator = SeededGenerator(seed: 7)
        // 5 MiB: several input chunks and many output chunks, half of it incompressible.
        let large = (0..<(5 << 20)).map { $0 % 2 == 0 ? UInt8.random(in: 0...255, using: &generator) : UInt8($0 % 7) }
        for input in [[], [42], large] as [[UInt8]] {
            #expect(try Codec.decompress(try Codec.compress(input, to: format), from: format) == input)
        }
    }

    @Test func noneIsIdentity() throws {
        let input: [UInt8] = [1, 2, 3]
        #expect(try Codec.compress(input, to: .none) == input)
        #expect(try Codec.decompress(input, from: .none) == input)
    }

    @Test func sniffingUsesMagicNotNames() {
        #expect(CompressionFormat.sniff([0x28, 0xB5, 0x2F, 0xFD, 0]) == .zstd)
        #expect(CompressionFormat.sniff([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) == .xz)
        #expect(CompressionFormat.sniff([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x01]) == .none)
        #expect(CompressionFormat.sniff([0x1F, 0x8B, 8]) == .gzip)
        #expect(CompressionFormat.sniff([0x7F, 0x45, 0x4C, 0x46]) == .none)
        #expect(CompressionFormat.sniff([]) == .none)
        #expect(CompressionFormat.ofModuleFileName("snd-hda.ko.zst") == .zstd)
        #expect(CompressionFormat.ofModuleFileName("a.ko") == CompressionFormat.none)
        #expect(CompressionFormat.ofModuleFileName("a.ko.bz2") == nil)
        #expect(CompressionFormat.ofModuleFileName("a.o") == nil)
    }
}

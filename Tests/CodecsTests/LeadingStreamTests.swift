import Codecs
import TestSupport
import Testing

/// `decompressLeadingStream` decodes exactly one stream and says where it ends, whatever follows it.
@Suite struct LeadingStreamTests {
    static let compressed: [CompressionFormat] = [.gzip, .xz, .zstd]

    /// Decodes the leading stream of `input`: its output, and the bytes it occupies.
    func leading(_ input: [UInt8], _ format: CompressionFormat) throws -> (output: [UInt8], length: Int?) {
        var output = [UInt8]()
        let length = try input.withUnsafeBytes { bytes in
            try Codec.decompressLeadingStream(bytes, from: format) { chunk in
                output.append(contentsOf: chunk)
                return true
            }
        }
        return (output, length)
    }

    @Test(arguments: compressed)
    func stopsAtTheEndOfTheFirstStream(format: CompressionFormat) throws {
        var generator = SeededGenerator(seed: 3)
        // Over a megabyte, so the stream spans several input chunks and output buffers.
        let plain = (0..<1_500_000).map { index in index % 7 == 0 ? UInt8.random(in: 0...255, using: &generator) : UInt8(index % 251) }
        let first = try Codec.compress(plain, to: format)
        for follower in [try Codec.compress([1, 2, 3], to: format), Array("junk".utf8), [0, 0, 0, 0], []] {
            let (output, length) = try leading(first + follower, format)
            #expect(output == plain && length == first.count, "\(format) followed by \(follower.count) bytes")
        }
    }

    @Test(arguments: compressed)
    func aCutStreamIsTruncated(format: CompressionFormat) throws {
        let first = try Codec.compress(Array(repeating: 7, count: 100_000), to: format)
        #expect(throws: CodecError.truncated(format)) { try leading(Array(first.prefix(first.count - 1)), format) }
        #expect(throws: CodecError.truncated(format)) { try leading([], format) }
    }

    @Test func theSinkStopsDecoding() throws {
        let first = try Codec.compress(Array(repeating: 7, count: 2_000_000), to: .zstd)
        var calls = 0
        let length = try first.withUnsafeBytes { bytes in
            try Codec.decompressLeadingStream(bytes, from: .zstd) { _ in
                calls += 1
                return false
            }
        }
        #expect(length == nil && calls == 1)
    }
}

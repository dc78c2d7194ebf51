import Codecs
import Foundation
import SystemPackage
import TestSupport
import Testing

/// Corrupt and truncated streams give typed errors, and the file-level API names the file.
@Suite struct CorruptionTests {
    static let compressed: [CompressionFormat] = [.gzip, .xz, .zstd]

    func packedModule(_ format: CompressionFormat) throws -> [UInt8] {
        try Codec.compress(try bytes(of: try InstalledKernel.find().sample(4)[3]), to: format)
    }

    @Test(arguments: compressed)
    func truncatedStreamIsTruncatedError(format: CompressionFormat) throws {
        let packed = try packedModule(format)
        for cut in [packed.count / 2, packed.count - 1] {
            #expect(throws: CodecError.truncated(format)) { try Codec.decompress(Array(packed.prefix(cut)), from: format) }
        }
    }

    @Test(arguments: compressed)
    func flippedBytesAreCorruptErrors(format: CompressionFormat) throws {
        var packed = try packedModule(format)
        packed[packed.count / 2] ^= 0xFF
        packed[packed.count / 2 + 1] ^= 0x55
        do {
            _ = try Codec.decompress(packed, from: format)
            Issue.record("corrupt \(format) data decoded without error")
        } catch {
            guard case .corrupt(let reported, _) = error else { Issue.record("expected .corrupt, got \(error)"); return }
            #expect(reported == format)
        }
    }

    @Test func moduleImageNamesTheFileOfATruncatedXz() throws {
        let scratch = try TemporaryDirectory()
        let packed = try packedModule(.xz)
        let file = scratch.path("broken.ko.xz")
        try write(Array(packed.prefix(packed.count - 100)), to: file)
        do {
            _ = try Codec.withModuleImage(at: FilePath(file.path)) { image, _ in image.count }
            Issue.record("truncated file read without error")
        } catch {
            #expect(error.path == FilePath(file.path))
            #expect(error.reason == .codec(.truncated(.xz)))
            #expect(error.description == "'\(FilePath(file.path))': truncated xz data: the stream ends before its end marker")
        }
    }

    @Test func moduleImageRefusesDirectoriesAndMissingFiles() throws {
        let scratch = try TemporaryDirectory()
        for (path, errno) in [(scratch.url.path, Errno.isDirectory), (scratch.path("none.ko").path, .noSuchFileOrDirectory)] {
            do {
                _ = try Codec.withModuleImage(at: FilePath(path)) { image, _ in image.count }
                Issue.record("\(path) read without error")
            } catch {
                guard case .system(let system) = error.reason else { Issue.record("\(error)"); continue }
                #expect(system.errno == errno && system.path == FilePath(path))
            }
        }
    }
}

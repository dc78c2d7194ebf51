import Codecs
import Foundation
import SystemPackage
import TestSupport
import Testing

/// File-to-file streaming, as install uses it.
@Suite struct FileStreamingTests {
    @Test(arguments: [CompressionFormat.gzip, .xz, .zstd])
    func compressAndDecompressFiles(format: CompressionFormat) throws {
        let scratch = try TemporaryDirectory()
        let module = try InstalledKernel.find().modules.max { $0.fileSize < $1.fileSize }!
        let packed = FilePath(scratch.path("m.ko" + format.fileExtension).path)
        let unpacked = FilePath(scratch.path("m.ko").path)
        try Codec.compressFile(FilePath(module.path), to: packed, format: format)
        try Codec.decompressFile(packed, to: unpacked, format: format)
        #expect(try bytes(of: URL(fileURLWithPath: unpacked.string)) == (try bytes(of: module)))
        // The destination is created exclusively: an existing file is never overwritten.
        #expect(throws: CodecFileError.self) { try Codec.compressFile(FilePath(module.path), to: packed, format: format) }
    }

    @Test func failedDecompressionLeavesNoPartialFile() throws {
        let scratch = try TemporaryDirectory()
        let packed = try Codec.compress(try bytes(of: try InstalledKernel.find().sample(2)[1]), to: .zstd)
        let broken = scratch.path("broken.ko.zst")
        try write(Array(packed.prefix(packed.count / 2)), to: broken)
        let destination = scratch.path("out.ko")
        #expect(throws: CodecFileError.self) {
            try Codec.decompressFile(FilePath(broken.path), to: FilePath(destination.path), format: .zstd)
        }
        #expect(!FileManager.default.fileExists(atPath: destination.path))
    }
}

extension URL {
    var fileSize: Int { (try? resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0 }
}

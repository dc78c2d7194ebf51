import Codecs
import Foundation
import TestSupport
import Testing

/// Our encoders against the real command-line tools the kernel's `modules_install` runs.
@Suite struct ReferenceToolTests {
    @Test func xzIsByteIdenticalToTheXzCommand() throws {
        let scratch = try TemporaryDirectory()
        for module in try InstalledKernel.find().sample(10) {
            let copy = scratch.path(module.lastPathComponent)
            try? FileManager.default.removeItem(at: copy)
            try FileManager.default.copyItem(at: module, to: copy)
            let reference = try run("xz", ["--check=crc32", "--lzma2=dict=1MiB", "-c", copy.path])
            #expect(reference.status == 0)
            #expect(try Codec.compress(try bytes(of: copy), to: .xz) == [UInt8](reference.stdout), "\(module.path)")
        }
    }

    @Test func gzipHasNoNameNoTimestampAndTheToolReadsIt() throws {
        let scratch = try TemporaryDirectory()
        let module = try InstalledKernel.find().sample(3)[1]
        let plain = try bytes(of: module)
        let packed = try Codec.compress(plain, to: .gzip)
        // Header: magic, deflate, flags 0 (no name), mtime 0, xfl, OS 3 (Unix) — what `gzip -n` writes.
        #expect(Array(packed.prefix(10)) == [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3])
        try write(packed, to: scratch.path("m.ko.gz"))
        let unpacked = try run("gzip", ["-dc", scratch.path("m.ko.gz").path])
        #expect(unpacked.status == 0 && [UInt8](unpacked.stdout) == plain)
    }

    @Test func zstdToolReadsOursAndWeReadTheTools() throws {
        let scratch = try TemporaryDirectory()
        let module = try InstalledKernel.find().sample(3)[2]
        let plain = try bytes(of: module)
        try write(try Codec.compress(plain, to: .zstd), to: scratch.path("m.ko.zst"))
        let unpacked = try run("zstd", ["-dcq", scratch.path("m.ko.zst").path])
        #expect(unpacked.status == 0 && [UInt8](unpacked.stdout) == plain)
        let theirs = try run("zstd", ["-q", "-c", "-T0", module.path])
        #expect(try Codec.decompress([UInt8](theirs.stdout), from: .zstd) == plain)
    }

    @Test func weReadWhatGzipAndXzToolsWrite() throws {
        let module = try InstalledKernel.find().sample(3)[0]
        let plain = try bytes(of: module)
        let gz = try run("gzip", ["-9", "-c", module.path])
        #expect(try Codec.decompress([UInt8](gz.stdout), from: .gzip) == plain)
        let xz = try run("xz", ["-9e", "--check=sha256", "-c", module.path])
        #expect(try Codec.decompress([UInt8](xz.stdout), from: .xz) == plain)
    }
}

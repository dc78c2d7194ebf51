import Codecs
import Foundation
import Initramfs
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// Broken, foreign and unsupported images give an `InitramfsError` that names the file and says where.
@Suite struct ImageErrorTests {
    @Test func missingFileAndDirectory() throws {
        let fixture = try Fixture()
        let missing = fixture.scratch.path("initrd.img-none")
        let error = try #require(membersError(missing))
        #expect(error.reason == .unreadable(SystemError("read", path: FilePath(missing.path), errno: .noSuchFileOrDirectory)))
        #expect(error.description == "cannot read '\(missing.path)': No such file or directory")
        #expect(
            membersError(fixture.scratch.url)?.reason
                == .unreadable(SystemError("read", path: FilePath(fixture.scratch.url.path), errno: .isDirectory)))
    }

    @Test func truncatedCompressedStream() throws {
        let fixture = try Fixture()
        let packed = try fixture.compressed(fixture.main, with: "zstd -q -c")
        let image = try fixture.image("cut.img", fixture.early + packed.prefix(packed.count * 3 / 5))
        let error = try #require(membersError(image))
        #expect(error.path == FilePath(image.path))
        #expect(error.reason == .undecodable(offset: fixture.early.count, .truncated(.zstd)))
        #expect(error.description.hasPrefix("'\(image.path)': the data at byte \(fixture.early.count) cannot be decompressed"))
    }

    @Test func truncatedPlainArchive() throws {
        let fixture = try Fixture()
        let image = try fixture.image("cut.img", Array(fixture.main.prefix(fixture.main.count / 2)))
        let error = try #require(membersError(image))
        guard case .truncated(let position, let detail) = error.reason else { Issue.record("\(error)"); return }
        #expect(position == .file(fixture.main.count / 2))
        #expect(detail.hasPrefix("the data ends inside the data of the entry at byte "))
        #expect(error.description.hasPrefix("'\(image.path)': truncated cpio archive at byte \(fixture.main.count / 2): "))
    }

    /// Cut exactly where the trailer would start: every entry is whole, but the archive never ends.
    @Test func archiveWithoutTrailer() throws {
        let fixture = try Fixture()
        let trailer = try #require(fixture.main.firstRange(of: Array("TRAILER!!!".utf8))).lowerBound - 110
        let image = try fixture.image("notrailer.img", Array(fixture.main.prefix(trailer)))
        #expect(
            membersError(image)?.reason == .truncated(at: .file(trailer), detail: "the data ends before the archive's TRAILER!!! entry"))
        // The same inside a complete zstd frame: the position is in the decompressed data.
        let packed = try fixture.compressed(Array(fixture.main.prefix(trailer)), with: "zstd -q -c")
        let compressed = try fixture.image("notrailer.zst.img", fixture.early + packed)
        #expect(
            membersError(compressed)?.reason
                == .truncated(
                    at: .decompressed(trailer, of: .zstd, at: fixture.early.count),
                    detail: "the data ends before the archive's TRAILER!!! entry"))
    }

    @Test func garbageAndEmptyFiles() throws {
        let fixture = try Fixture()
        let garbage = try fixture.image("garbage.img", [0xAB] + noise(4095, seed: 9))
        let error = try #require(membersError(garbage))
        guard case .malformed(let position, let detail) = error.reason else { Issue.record("\(error)"); return }
        #expect(position == .file(0) && detail.hasPrefix("neither a cpio archive nor compressed data (bytes ab "))
        #expect(error.description.hasPrefix("'\(garbage.path)': not a valid initramfs at byte 0: "))

        let afterEarly = try fixture.image("garbage2.img", fixture.early + [0x42, 0x42] + noise(100, seed: 10))
        guard case .malformed(.file(fixture.early.count), _) = membersError(afterEarly)?.reason else {
            Issue.record("garbage after the early archive not reported at byte \(fixture.early.count)")
            return
        }
        let empty = try fixture.image("empty.img", [])
        #expect(membersError(empty)?.reason == .malformed(at: .file(0), detail: "the image holds no cpio archive"))
        let zeros = try fixture.image("zeros.img", [UInt8](repeating: 0, count: 4096))
        #expect(membersError(zeros)?.reason == .malformed(at: .file(0), detail: "the image holds no cpio archive"))
    }

    @Test func junkAfterTheArchivesInsideCompressedData() throws {
        let fixture = try Fixture()
        let packed = try fixture.compressed(fixture.main + Array("junk".utf8), with: "gzip -c")
        let image = try fixture.image("junk.img", packed)
        #expect(
            membersError(image)?.reason
                == .malformed(
                    at: .decompressed(fixture.main.count, of: .gzip, at: 0), detail: "junk between archives in the compressed data"))
    }

    @Test func garbledHeaders() throws {
        let fixture = try Fixture()
        var bytes = fixture.main
        bytes[54] = UInt8(ascii: "G")  // c_filesize of the first entry
        let badDigit = try fixture.image("digit.img", bytes)
        #expect(membersError(badDigit)?.reason == .malformed(at: .file(0), detail: "the header's c_filesize is not 8 hex digits"))

        let odcTree = fixture.scratch.path("odc")
        try makeFile("init", in: odcTree, contents: Array("#!/bin/sh\n".utf8))
        try shell(#"cd "$1" && echo init | cpio -o -H odc --quiet > "$2""#, [odcTree.path, fixture.scratch.path("odc.img").path])
        let odc = try #require(membersError(fixture.scratch.path("odc.img")))
        guard case .malformed(.file(0), let detail) = odc.reason else { Issue.record("\(odc)"); return }
        #expect(detail.contains("old portable (odc)"))
    }

    /// Formats the kernel may unpack but kmodmgr does not decode: the error names the file and the format.
    @Test func unsupportedCompression() throws {
        let fixture = try Fixture()
        let lz4 = try fixture.image("lz4.img", fixture.early + [0x02, 0x21, 0x4C, 0x18] + noise(200, seed: 11))
        let error = try #require(membersError(lz4))
        #expect(error.reason == .unsupportedCompression(format: "lz4", offset: fixture.early.count))
        #expect(
            error.description
                == "'\(lz4.path)': the data at byte \(fixture.early.count) is lz4-compressed, which kmodmgr does not decode (gzip, xz, zstd)"
        )

        let lzma = try fixture.image("lzma.img", try fixture.compressed(fixture.main, with: "xz --format=lzma -c"))
        #expect(membersError(lzma)?.reason == .unsupportedCompression(format: "lzma", offset: 0))
        let bzip2 = try fixture.image("bzip2.img", Array("BZh91AY&SY".utf8) + noise(100, seed: 12))
        #expect(membersError(bzip2)?.reason == .unsupportedCompression(format: "bzip2", offset: 0))
    }
}

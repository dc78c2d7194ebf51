import Foundation
import Initramfs
import SystemPackage
import TestSupport
import Testing

/// Images assembled as generators assemble them, from archives the real cpio wrote and streams the real gzip, xz
/// and zstd compressed: the member list is exactly what was packed, in order.
@Suite struct SyntheticImageTests {
    /// The compressor commands generators run (`xz --check=crc32` as initramfs-tools and dracut do).
    static let compressors = ["gzip -n -9 -c", "xz --check=crc32 -c", "zstd -q -c -19"]

    @Test func plainArchives() throws {
        let fixture = try Fixture()
        let single = try fixture.image("plain.img", fixture.main)
        #expect(try InitramfsImage.members(at: FilePath(single.path)) == fixture.mainNames)
        let both = try fixture.image("plain2.img", fixture.early + fixture.main)
        #expect(try InitramfsImage.members(at: FilePath(both.path)) == fixture.earlyNames + fixture.mainNames)
    }

    @Test(arguments: compressors)
    func earlyArchiveThenCompressedMain(compressor: String) throws {
        let fixture = try Fixture()
        let image = try fixture.image("initrd.img", fixture.early + fixture.compressed(fixture.main, with: compressor))
        #expect(try InitramfsImage.members(at: FilePath(image.path)) == fixture.earlyNames + fixture.mainNames)
        #expect(try InitramfsImage.moduleNames(at: FilePath(image.path)) == Fixture.mainModules)
    }

    /// Two compressed segments of different formats, each a whole archive, as when a second image is appended.
    @Test func twoCompressedSegmentsOfDifferentFormats() throws {
        let fixture = try Fixture()
        let image = try fixture.image(
            "two.img",
            fixture.early + fixture.compressed(fixture.main, with: "zstd -q -c") + fixture.compressed(fixture.other, with: "gzip -c"))
        #expect(try InitramfsImage.members(at: FilePath(image.path)) == fixture.earlyNames + fixture.mainNames + fixture.otherNames)
    }

    /// One archive split over two streams of one format (as pigz or pzstd may write it): the second continues it.
    @Test(arguments: compressors)
    func oneArchiveSplitOverTwoStreams(compressor: String) throws {
        let fixture = try Fixture()
        let cut = fixture.main.count / 2 + 1
        let image = try fixture.image(
            "split.img",
            fixture.early + fixture.compressed(Array(fixture.main[..<cut]), with: compressor)
                + fixture.compressed(Array(fixture.main[cut...]), with: compressor))
        #expect(try InitramfsImage.members(at: FilePath(image.path)) == fixture.earlyNames + fixture.mainNames)
    }

    /// Several archives inside one compressed stream, and NUL padding between and after the segments.
    @Test(arguments: compressors)
    func archivesInOneStreamWithPadding(compressor: String) throws {
        let fixture = try Fixture()
        let zeros = [UInt8](repeating: 0, count: 1024)
        let image = try fixture.image(
            "padded.img",
            fixture.early + zeros + fixture.compressed(fixture.main + zeros + fixture.other, with: compressor) + zeros)
        #expect(try InitramfsImage.members(at: FilePath(image.path)) == fixture.earlyNames + fixture.mainNames + fixture.otherNames)
    }

    /// A plain archive may also follow a compressed one, at a multiple of 4 in the file.
    @Test func plainArchiveAfterCompressedOne() throws {
        let fixture = try Fixture()
        var bytes = try fixture.compressed(fixture.main, with: "gzip -c")
        bytes += [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4)
        let image = try fixture.image("mixed.img", bytes + fixture.other)
        #expect(try InitramfsImage.members(at: FilePath(image.path)) == fixture.mainNames + fixture.otherNames)
    }
}

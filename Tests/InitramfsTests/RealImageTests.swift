import Foundation
import Initramfs
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// The images this machine boots, read by us and by initramfs-tools' own `lsinitramfs`.
@Suite struct RealImageTests {
    /// Every `/boot/initrd.img-*`; the kernel image `scripts/setup` installs makes one.
    static func images() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: "/boot").filter { $0.hasPrefix("initrd.img-") }
        return names.sorted().map { "/boot/" + $0 }
    }

    /// A member path as compared: lsinitramfs shows what `cpio -t` shows, which is the stored name.
    static func normalised(_ path: Substring) -> String {
        path.hasPrefix("./") ? String(path.dropFirst(2)) : String(path)
    }

    @Test func membersAreWhatLsinitramfsLists() throws {
        let images = try Self.images()
        try #require(!images.isEmpty, "no /boot/initrd.img-*: scripts/setup installs a Debian kernel image, which makes one")
        for image in images {
            let listed = try run("lsinitramfs", [image])
            #expect(listed.status == 0, "lsinitramfs \(image): \(listed.standardError)")
            let lines = listed.standardOutput.split(separator: "\n")
            let ours = try InitramfsImage.members(at: FilePath(image))
            #expect(Set(ours.map { Self.normalised($0[...]) }) == Set(lines.map(Self.normalised)), "\(image)")
            #expect(ours.count >= lines.count, "\(image)")

            // The modules lsinitramfs shows, named as kmod names them.
            let moduleFiles = lines.filter { $0.contains(/\.ko(\.(gz|xz|zst))?$/) }
            let expected = Set(
                moduleFiles.map { line in
                    String(line.split(separator: "/").last!.prefix { $0 != "." }.map { $0 == "-" ? "_" : $0 })
                })
            #expect(!expected.isEmpty, "\(image) holds no module")
            #expect(try InitramfsImage.moduleNames(at: FilePath(image)) == expected, "\(image)")
        }
    }

    /// This machine's generator made these images, and says where each kernel's is.
    @Test func thisSystemsGeneratorFindsItsImages() throws {
        let images = try Self.images()
        try #require(!images.isEmpty)
        let generator = try #require(InitramfsGenerator.detect(root: .system))
        try #require(generator != .mkinitcpio, "a Debian machine makes /boot/initrd.img-* with initramfs-tools or dracut")
        for image in images {
            let release = String(image.dropFirst("/boot/initrd.img-".count))
            #expect(generator.imagePath(release: release, root: .system) == FilePath(image))
        }
    }
}

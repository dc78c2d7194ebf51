import Foundation
import TestSupport

/// Three archives packed by the real cpio in a throwaway directory: an early one as initramfs-tools makes for CPU
/// microcode, a main one shaped like a Debian initramfs, and a small other one.
struct Fixture {
    let scratch: TemporaryDirectory
    let early: [UInt8]
    let earlyNames: [String]
    let main: [UInt8]
    let mainNames: [String]
    let other: [UInt8]
    let otherNames: [String]

    /// The module names `main` holds.
    static let mainModules: Set<String> = ["ext4", "hid_logitech_dj", "crc32c_generic", "v4l2loopback", "nls_cp437"]

    init() throws {
        scratch = try TemporaryDirectory()
        let earlyTree = scratch.path("early")
        try makeFile("kernel/x86/microcode/GenuineIntel.bin", in: earlyTree, contents: noise(10_001, seed: 1))
        earlyNames = try packTree(earlyTree, into: scratch.path("early.cpio"))
        early = try bytes(of: scratch.path("early.cpio"))

        let mainTree = scratch.path("main")
        let modules = "usr/lib/modules/6.1.0-0-test"
        // Larger than a decompression buffer (256 KiB), so entries straddle the chunks the reader is given.
        try makeFile("\(modules)/kernel/fs/ext4/ext4.ko", in: mainTree, contents: noise(700_001, seed: 2))
        try makeFile("\(modules)/kernel/drivers/hid/hid-logitech-dj.ko.xz", in: mainTree, contents: noise(5_003, seed: 3))
        try makeFile("\(modules)/kernel/crypto/crc32c_generic.ko.zst", in: mainTree, contents: noise(1_002, seed: 4))
        try makeFile("\(modules)/updates/dkms/v4l2loopback.ko.gz", in: mainTree, contents: noise(3, seed: 5))
        try makeFile("\(modules)/kernel/fs/nls/nls_cp437.ko", in: mainTree, contents: [])
        try makeFile("\(modules)/modules.dep", in: mainTree, contents: Array("kernel/fs/ext4/ext4.ko:\n".utf8))
        // A directory with a module's name is not a module.
        try FileManager.default.createDirectory(
            at: mainTree.appendingPathComponent("\(modules)/kernel/notamodule.ko"), withIntermediateDirectories: true)
        try makeFile("usr/bin/busybox", in: mainTree, contents: noise(40_000, seed: 6), mode: 0o755)
        try FileManager.default.createSymbolicLink(
            atPath: mainTree.appendingPathComponent("usr/bin/sh").path, withDestinationPath: "busybox")
        // A hard link: newc stores the data once, with the last of the links.
        try FileManager.default.linkItem(
            at: mainTree.appendingPathComponent("usr/bin/busybox"), to: mainTree.appendingPathComponent("usr/bin/ash"))
        try makeFile("scripts/init-top/" + String(repeating: "long-name-", count: 20), in: mainTree, contents: Array("#!/bin/sh\n".utf8))
        try makeFile("conf/arch.conf", in: mainTree, contents: Array("DPKG_ARCH=amd64\n".utf8))
        mainNames = try packTree(mainTree, into: scratch.path("main.cpio"))
        main = try bytes(of: scratch.path("main.cpio"))

        let otherTree = scratch.path("other")
        try makeFile("etc/firmware/extra.bin", in: otherTree, contents: noise(77, seed: 7))
        otherNames = try packTree(otherTree, into: scratch.path("other.cpio"))
        other = try bytes(of: scratch.path("other.cpio"))
    }

    /// Writes `bytes` as the image file `name` in the scratch directory and returns its URL.
    func image(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = scratch.path(name)
        try write(bytes, to: url)
        return url
    }

    /// `bytes` compressed by the real `command`.
    func compressed(_ bytes: [UInt8], with command: String) throws -> [UInt8] {
        try InitramfsTests.compressed(bytes, with: command, scratch: scratch)
    }
}

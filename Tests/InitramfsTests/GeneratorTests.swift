import Foundation
import Initramfs
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// Which generator a root uses, what it is asked to run, and where its image is, in throwaway roots.
@Suite struct GeneratorTests {
    let release = "6.1.0-99-amd64"

    @Test func nothingInstalledIsNoGenerator() throws {
        let root = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: root.path("usr/sbin"), withIntermediateDirectories: true)
        #expect(InitramfsGenerator.detect(root: Root(FilePath(root.url.path))) == nil)
    }

    @Test func eachGeneratorIsFoundInEachDirectory() throws {
        for generator in InitramfsGenerator.allCases {
            for directory in InitramfsGenerator.searchDirectories {
                let root = try TemporaryDirectory()
                let command = directory.appending(generator.executableName)
                try makeFile(String(command.string.dropFirst()), in: root.url, contents: Array("#!/bin/sh\n".utf8), mode: 0o755)
                let rooted = Root(FilePath(root.url.path))
                #expect(InitramfsGenerator.detect(root: rooted) == generator, "\(command)")
                #expect(generator.executablePath(root: rooted) == command)
            }
        }
    }

    @Test func updateInitramfsComesFirstThenDracut() throws {
        let root = try TemporaryDirectory()
        let rooted = Root(FilePath(root.url.path))
        try makeFile("usr/bin/mkinitcpio", in: root.url, mode: 0o755)
        #expect(InitramfsGenerator.detect(root: rooted) == .mkinitcpio)
        try makeFile("usr/sbin/dracut", in: root.url, mode: 0o755)
        #expect(InitramfsGenerator.detect(root: rooted) == .dracut)
        try makeFile("sbin/update-initramfs", in: root.url, mode: 0o755)
        #expect(InitramfsGenerator.detect(root: rooted) == .initramfsTools)
        #expect(InitramfsGenerator.initramfsTools.executablePath(root: rooted) == "/sbin/update-initramfs")
    }

    @Test func notExecutableOrNotAFileIsNotACommand() throws {
        let root = try TemporaryDirectory()
        try makeFile("usr/sbin/update-initramfs", in: root.url, mode: 0o644)
        try FileManager.default.createDirectory(at: root.path("usr/bin/dracut"), withIntermediateDirectories: true)
        #expect(InitramfsGenerator.detect(root: Root(FilePath(root.url.path))) == nil)
    }

    @Test func arguments() throws {
        let root = try TemporaryDirectory()
        let rooted = Root(FilePath(root.url.path))
        #expect(InitramfsGenerator.initramfsTools.arguments(release: release, root: rooted) == ["-u", "-k", release])
        #expect(InitramfsGenerator.mkinitcpio.arguments(release: release, root: rooted) == ["-P"])
        // No image and not Debian: dracut picks its own default.
        #expect(InitramfsGenerator.dracut.arguments(release: release, root: rooted) == ["--force", "--kver", release])
        // Debian: its kernel hook's name, as a path inside the root.
        try makeFile("etc/debian_version", in: root.url, contents: Array("12.12\n".utf8))
        #expect(
            InitramfsGenerator.dracut.arguments(release: release, root: rooted)
                == ["--force", "--kver", release, "/boot/initrd.img-\(release)"])
    }

    @Test func dracutRewritesTheCurrentImage() throws {
        let root = try TemporaryDirectory()
        let rooted = Root(FilePath(root.url.path))
        try makeFile("etc/debian_version", in: root.url)
        try makeFile("boot/initramfs-\(release).img", in: root.url, contents: [1])
        #expect(
            InitramfsGenerator.dracut.arguments(release: release, root: rooted)
                == ["--force", "--kver", release, "/boot/initramfs-\(release).img"])
        #expect(
            InitramfsGenerator.dracut.imagePath(release: release, root: rooted)
                == rooted.resolve(FilePath("/boot/initramfs-\(release).img")))
        #expect(InitramfsGenerator.initramfsTools.imagePath(release: release, root: rooted) == nil)
    }

    @Test func imagePaths() throws {
        let root = try TemporaryDirectory()
        let rooted = Root(FilePath(root.url.path))
        for generator in InitramfsGenerator.allCases {
            #expect(generator.imagePath(release: release, root: rooted) == nil)
        }
        try makeFile("boot/initrd.img-\(release)", in: root.url, contents: [1])
        try makeFile("boot/initramfs-linux.img", in: root.url, contents: [1])
        let debian = rooted.resolve(FilePath("/boot/initrd.img-\(release)"))
        #expect(InitramfsGenerator.initramfsTools.imagePath(release: release, root: rooted) == debian)
        #expect(InitramfsGenerator.dracut.imagePath(release: release, root: rooted) == debian)
        #expect(InitramfsGenerator.mkinitcpio.imagePath(release: release, root: rooted) == nil)
        #expect(InitramfsGenerator.initramfsTools.imagePath(release: "6.1.0-98-amd64", root: rooted) == nil)
        #expect(InitramfsGenerator.initramfsTools.imagePath(release: "../boot/initrd.img-\(release)", root: rooted) == nil)
    }

    @Test func settings() {
        #expect(InitramfsGenerator(setting: "update-initramfs") == .initramfsTools)
        #expect(InitramfsGenerator(setting: "initramfs-tools") == .initramfsTools)
        #expect(InitramfsGenerator(setting: "dracut") == .dracut)
        #expect(InitramfsGenerator(setting: "mkinitcpio") == .mkinitcpio)
        #expect(InitramfsGenerator(setting: "booster") == nil)
        #expect(InitramfsGenerator(setting: "") == nil)
        #expect(InitramfsGenerator.allCases.map(\.description) == ["update-initramfs", "dracut", "mkinitcpio"])
    }
}

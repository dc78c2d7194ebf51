import Foundation
import TestSupport
import Testing

/// Names, aliases and built-ins looked up under `--root`, against `modinfo -b`.
@Suite struct ModinfoLookupTests {
    /// A throwaway root whose `lib/modules/<release>` is the real tree (linked, not copied).
    func makeRoot() throws -> (TemporaryDirectory, String) {
        let kernel = try InstalledKernel.find()
        let root = try TemporaryDirectory()
        let modules = root.path("lib/modules")
        try FileManager.default.createDirectory(at: modules, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: modules.appendingPathComponent(kernel.release), withDestinationURL: kernel.moduleDirectory)
        return (root, kernel.release)
    }

    @Test(arguments: [
        "ext4", "vfat", "snd-hda-intel", "fs-vfat", "crc32c_generic", "unix", "zswap", "net-pf-1", "e1000e",
        "pci:v00008086d000010D3sv*sd*bc*sc*i*",
    ])
    func namesMatchModinfo(name: String) throws {
        let (root, release) = try makeRoot()
        let ours = try kmodmgr(["modinfo", "--root", root.url.path, "-k", release, name])
        let theirs = try run("modinfo", ["-b", root.url.path, "-k", release, name])
        #expect(ours.status == theirs.status)
        #expect(ours.stdout == theirs.stdout, "\(firstDifference(ours.standardOutput, theirs.standardOutput))")
        #expect(!ours.stdout.isEmpty)
    }

    /// `-v` says on standard error what each argument resolved to; standard output is unchanged.
    @Test func verboseExplainsResolutionOnStandardError() throws {
        let (root, release) = try makeRoot()
        let vfat = "\(root.url.path)/lib/modules/\(release)/kernel/fs/fat/vfat.ko"
        let quiet = try kmodmgr(["modinfo", "--root", root.url.path, "-k", release, "fs-vfat", "unix"])
        let verbose = try kmodmgr(["modinfo", "-v", "--root", root.url.path, "-k", release, "fs-vfat", "unix"])
        #expect(verbose.status == 0 && verbose.stdout == quiet.stdout && quiet.stderr.isEmpty)
        #expect(verbose.standardError == "kmodmgr: fs-vfat: \(vfat), uncompressed\nkmodmgr: unix: built into the kernel\n")
    }

    @Test func basedirIsTheSameAsRoot() throws {
        let (root, release) = try makeRoot()
        let viaRoot = try kmodmgr(["modinfo", "--root", root.url.path, "-k", release, "-F", "filename", "vfat"])
        let viaBasedir = try kmodmgr(["modinfo", "-b", root.url.path, "-k", release, "-F", "filename", "vfat"])
        #expect(viaRoot.stdout == viaBasedir.stdout && viaRoot.standardOutput.hasPrefix(root.url.path))
    }

    @Test func unknownNameIsAOneLineError() throws {
        let (root, release) = try makeRoot()
        let result = try kmodmgr(["modinfo", "--root", root.url.path, "-k", release, "no_such_module"])
        #expect(result.status == 1)
        #expect(result.standardError == "kmodmgr: error: module 'no_such_module' not found in '\(root.url.path)/lib/modules/\(release)'\n")
    }
}

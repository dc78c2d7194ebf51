import Foundation
import TestSupport
import Testing

/// The built `kmodmgr depmod -b ROOT [-C DIR] KVER` against `depmod` with the same arguments: the same ten
/// files and the same exit status, on a tree with something for most rules (duplicates, unreadable and
/// compressed modules, a bad builtin line, dependencies, devnames, and a depmod.d file with a bad line).
@Suite struct RuleTreeCLITests {
    @Test(arguments: [false, true])
    func commandLineMatchesDepmod(configured: Bool) throws {
        let tree = try DepmodOracle { tree in
            try tree.installed("kernel/fs/fat/fat.ko")
            try tree.installed("kernel/fs/fat/vfat.ko")
            try tree.compress("kernel/fs/fat/vfat.ko", with: "xz")
            try tree.installed("kernel/fs/fuse/fuse.ko")
            try tree.installed("kernel/fs/fuse/cuse.ko")
            try tree.compress("kernel/fs/fuse/cuse.ko", with: "zstd")
            try tree.installed("kernel/fs/fat/fat.ko", at: "updates/fat.ko")
            try tree.installed("kernel/fs/fat/msdos.ko", at: "extra/msdos.ko")
            try tree.file("kernel/bad/garbage.ko", Array("this is not an ELF file at all".utf8))
            try tree.module("kernel/dev/chr.ko", modinfo: ["alias=devname:chrdev", "alias=char-major-10-99", "softdep=pre: fat"])
            try tree.text("modules.builtin", "kernel/fs/ext4/ext4.ko\n9invalid\n")
            try tree.text("modules.order", "kernel/fs/fuse/cuse.ko\nkernel/fs/fat/fat.ko\n")
        }
        if configured { try tree.configure("search extra updates built-in\nbad line here\n") }
        let theirs = try tree.runOracle()
        var arguments = ["depmod", "-b", tree.ourRoot.path]
        if let directory = tree.configurationDirectory { arguments += ["-C", directory.path] }
        let ours = try kmodmgr(arguments + [tree.kernelRelease])
        #expect(ours.status == theirs.status, "kmodmgr: \(ours.standardError)\ndepmod: \(theirs.standardError)")
        #expect(theirs.status == 0)
        for difference in tree.differences() { Issue.record("\(difference)") }
        #expect(ours.stdout.isEmpty && theirs.stdout.isEmpty)
    }
}

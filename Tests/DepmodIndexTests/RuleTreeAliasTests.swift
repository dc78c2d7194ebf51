import Foundation
import TestSupport
import Testing

/// What `.modinfo` strings become (docs/depmod-index.md, Aliases): aliases in the text file raw and in the `.bin`
/// normalised (or left out), `devname:` lines, and `softdep` lines.
@Suite struct RuleTreeAliasTests {
    /// Bracket patterns keep their dashes; a stray `]` or an unclosed `[` stays in modules.alias but not in the
    /// `.bin`; several modules may share an alias (values ordered by module priority).
    @Test func aliasPatternsAndUnmatchedBrackets() throws {
        let tree = try DepmodOracle { tree in
            try tree.module(
                "kernel/a/pat-one.ko",
                modinfo: [
                    "alias=pci:v0000-8086d*sv*", "alias=usb:v[0-9]p[a-f-]*", "alias=of:N*T*Cfoo,bar-baz[-_]x",
                    "alias=stray]bracket-x", "alias=open[bracket-x", "alias=?-question", "alias=shared-alias",
                    "license=GPL", "aliasnot=ignored", "alias=", "alias",
                ])
            try tree.module("kernel/b/pat_two.ko", modinfo: ["alias=shared-alias", "alias=a]b[c]", "alias=[]]-x"])
            try tree.module("kernel/c/pat3.ko", modinfo: ["alias=shared_alias", "alias=UPPER-Case"])
            try tree.installed("kernel/fs/fat/vfat.ko")
            try tree.installed("kernel/fs/fat/fat.ko")
        }
        try tree.expectSameAsDepmod()
        let alias = String(decoding: try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.alias")), as: UTF8.self)
        #expect(alias.contains("alias stray]bracket-x pat_one\n"))
    }

    /// `devname:X` plus `char-major-M-N` or `block-major-M-N` (first of each kind, trailing text allowed)
    /// gives a line; a devname without major and minor gives none; a header only when some line exists.
    @Test func devnameLines() throws {
        let tree = try DepmodOracle { tree in
            try tree.installed("kernel/fs/fuse/fuse.ko")
            try tree.module("kernel/dev/chr.ko", modinfo: ["alias=devname:chrdev", "alias=char-major-10-99"])
            try tree.module("kernel/dev/blk.ko", modinfo: ["alias=block-major-7-3-extra", "alias=devname:disk/blk0"])
            try tree.module("kernel/dev/nomajor.ko", modinfo: ["alias=devname:lonely"])
            try tree.module("kernel/dev/nodevname.ko", modinfo: ["alias=char-major-10-100"])
            try tree.module("kernel/dev/incomplete.ko", modinfo: ["alias=devname:half", "alias=char-major-10"])
            try tree.module(
                "kernel/dev/twice.ko",
                modinfo: ["alias=devname:first", "alias=devname:second", "alias=block-major-8-0", "alias=char-major-1-1"])
            try tree.module("kernel/dev/not-alias.ko", modinfo: ["devname=nope", "alias=char-major-5-5"])
        }
        try tree.expectSameAsDepmod()
    }

    /// With no devname lines at all the file is empty: no header.
    @Test func noDevnameGivesAnEmptyFile() throws {
        let tree = try DepmodOracle { tree in
            try tree.module("kernel/dev/nomajor.ko", modinfo: ["alias=devname:lonely"])
            try tree.installed("kernel/fs/fat/fat.ko")
        }
        try tree.expectSameAsDepmod()
        #expect(try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.devname")).isEmpty)
    }

    /// `softdep` values are copied raw, in array order and `.modinfo` order.
    @Test func softdepLines() throws {
        let tree = try DepmodOracle { tree in
            try tree.installed("kernel/fs/fat/fat.ko")
            try tree.module("kernel/s/soft-one.ko", modinfo: ["softdep=pre: crypto-crc32c", "softdep=post: a b  c", "softdep="])
            try tree.module("kernel/s/soft2.ko", modinfo: ["softdep=pre: x-y post: z", "softdeps=ignored", "alias=softy"])
            try tree.module("updates/soft3.ko", modinfo: ["softdep=odd value without colon"])
        }
        try tree.expectSameAsDepmod()
    }
}

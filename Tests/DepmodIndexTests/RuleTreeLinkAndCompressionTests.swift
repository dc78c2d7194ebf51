import Foundation
import TestSupport
import Testing

/// Symbolic links and compressed files in the tree (docs/depmod-index.md, Walking the module tree, and Module
/// names and paths): links are followed and listed under the link's own path; `.ko`, `.ko.xz` and `.ko.zst` count,
/// `.ko.gz` is invisible; whether a file is compressed is decided by its first bytes, not its name.
@Suite struct RuleTreeLinkAndCompressionTests {
    /// A link to a module (relative, and absolute to a file outside the root), a link to a directory of
    /// modules, and a dangling link.
    @Test func linksAreFollowedAndKeepTheirPath() throws {
        let scratch = try TemporaryDirectory()
        let outside = scratch.path("outside.ko")
        try SyntheticModule(
            is64Bit: true, bigEndian: false, modinfo: ["alias=from-outside"], versions: [], exports: [("outside_sym", 7)],
            imports: [("fat_attach", false)]
        ).write(to: outside)
        let tree = try DepmodOracle { tree in
            // The targets sit in ROOT/real, outside the module directory, so only the links are walked.
            try tree.installed("kernel/fs/fat/fat.ko", at: "../../../real/fs/fat.ko")
            try tree.installed("kernel/fs/fat/vfat.ko", at: "../../../real/fs/vfat.ko")
            try tree.module("../../../real/drivers/linked-dir-mod.ko", modinfo: ["alias=in-linked-dir"], imports: ["outside_sym"])
            try tree.link("kernel/fs/fat.ko", to: "../../../../../real/fs/fat.ko")
            try tree.link("kernel/fs/vfat.ko", to: "../../../../../real/fs/vfat.ko")
            try tree.link("kernel/drivers", to: "../../../../real/drivers")
            try tree.link("updates/outside.ko", to: outside.path)
            try tree.link("kernel/dangling.ko", to: "nowhere/missing.ko")
        }
        try tree.expectSameAsDepmod()
        let dep = String(decoding: try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.dep")), as: UTF8.self)
        #expect(dep.contains("kernel/fs/vfat.ko: kernel/fs/fat.ko\n") && dep.contains("updates/outside.ko:"))
    }

    /// Plain, xz and zstd modules side by side (gzip ignored), including the same module in two forms in one
    /// directory, where listing order decides.
    @Test func mixedCompressionSideBySide() throws {
        let tree = try DepmodOracle { tree in
            try tree.installed("kernel/fs/fat/fat.ko")
            try tree.compress("kernel/fs/fat/fat.ko", with: "xz")
            try tree.installed("kernel/fs/fat/vfat.ko")
            try tree.compress("kernel/fs/fat/vfat.ko", with: "zstd")
            try tree.installed("kernel/fs/fat/msdos.ko")
            try tree.installed("kernel/fs/fuse/fuse.ko")
            try tree.compress("kernel/fs/fuse/fuse.ko", with: "gzip")
            try tree.module("kernel/gz/only-gzip.ko", modinfo: ["alias=gzip-only"])
            try tree.compress("kernel/gz/only-gzip.ko", with: "gzip")
            for (index, tool) in ["xz", "zstd", "xz", "zstd"].enumerated() {
                try tree.module("kernel/both\(index)/twice\(index).ko", modinfo: ["alias=twice\(index)"], imports: ["fat_attach"])
                try tree.compress("kernel/both\(index)/twice\(index).ko", with: tool, keep: true)
            }
            try tree.module("updates/newer.ko", modinfo: ["alias=newer"], imports: ["fat_attach"])
            try tree.compress("updates/newer.ko", with: "zstd")
        }
        try tree.expectSameAsDepmod()
        let dep = String(decoding: try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.dep")), as: UTF8.self)
        #expect(dep.contains("kernel/fs/fat/vfat.ko.zst: kernel/fs/fat/fat.ko.xz\n"))
        #expect(!dep.contains(".gz"))
    }

    /// The name only says a file is a module; its magic says how to read it: an ELF named `.ko.xz`, xz data
    /// named `.ko`, zstd data named `.ko.xz`.
    @Test func magicBytesDecideTheFormat() throws {
        let tree = try DepmodOracle { tree in
            try tree.installed("kernel/fs/fat/fat.ko", at: "kernel/fs/fat/fat.ko.xz")
            try tree.installed("kernel/fs/fat/vfat.ko", at: "kernel/fs/fat/packed")
            try tree.compress("kernel/fs/fat/packed", with: "xz")
            try tree.link("kernel/fs/fat/vfat.ko", to: "packed.xz")
            try tree.installed("kernel/fs/fat/msdos.ko", at: "kernel/fs/fat/msdos-data")
            try tree.compress("kernel/fs/fat/msdos-data", with: "zstd")
            try tree.link("kernel/fs/fat/msdos.ko.xz", to: "msdos-data.zst")
        }
        try tree.expectSameAsDepmod()
        let dep = String(decoding: try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.dep")), as: UTF8.self)
        #expect(dep.contains("kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko.xz\n"))
        #expect(dep.contains("kernel/fs/fat/msdos.ko.xz: kernel/fs/fat/fat.ko.xz\n"))
    }
}

extension SyntheticModule {
    fileprivate func write(to url: URL) throws { try TestSupport.write(bytes(), to: url) }
}

import Foundation
import TestSupport
import Testing

/// Modules that cannot be read are still listed, with no dependencies and nothing else, and the run succeeds
/// (docs/depmod-index.md, Reading a module: unreadable modules are still indexed).
@Suite struct RuleTreeCorruptModuleTests {
    @Test func unreadableModulesAreListedWithNoDependencies() throws {
        let corrupt = [
            "kernel/bad/truncated.ko", "kernel/bad/garbage.ko", "kernel/bad/three.ko", "kernel/bad/zero.ko.xz",
            "kernel/bad/empty.ko", "kernel/bad/truncated-xz.ko.xz", "kernel/bad/garbage-zst.ko.zst", "kernel/bad/headeronly.ko",
        ]
        let tree = try DepmodOracle { tree in
            try tree.installed("kernel/fs/fat/fat.ko")
            try tree.installed("kernel/fs/fat/vfat.ko")
            let fat = try bytes(of: tree.url("kernel/fs/fat/fat.ko"))
            try tree.file("kernel/bad/truncated.ko", Array(fat.prefix(fat.count / 2)))
            var generator = SeededGenerator(seed: 30)
            try tree.file("kernel/bad/garbage.ko", (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
            try tree.file("kernel/bad/three.ko", [0x7F, 0x45, 0x4C])
            try tree.file("kernel/bad/zero.ko.xz", [])
            try tree.file("kernel/bad/empty.ko", [])
            try tree.installed("kernel/fs/fat/msdos.ko", at: "kernel/bad/truncated-xz.ko")
            try tree.compress("kernel/bad/truncated-xz.ko", with: "xz")
            let packed = try bytes(of: tree.url("kernel/bad/truncated-xz.ko.xz"))
            try tree.file("kernel/bad/truncated-xz.ko.xz", Array(packed.prefix(packed.count / 2)))
            try tree.file("kernel/bad/garbage-zst.ko.zst", [0x28, 0xB5, 0x2F, 0xFD] + Array("not really zstd".utf8))
            try tree.file("kernel/bad/headeronly.ko", Array(fat.prefix(64)))
            // A reader of fat's exports still depends on the intact fat, not on the truncated copy of it.
            try tree.module("kernel/user.ko", imports: ["fat_attach", "fat_time_fat2unix"])
        }
        let outcome = try tree.expectSameAsDepmod()
        let dep = String(decoding: try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.dep")), as: UTF8.self)
        for path in corrupt {
            #expect(dep.contains("\n\(path):\n") || dep.hasPrefix("\(path):\n"), "\(path) is not listed alone")
            #expect(
                outcome.diagnostics.contains { $0.message.hasPrefix("failed to load symbols:") && ($0.file?.string ?? "").hasSuffix(path) },
                "no warning for \(path)")
        }
    }
}

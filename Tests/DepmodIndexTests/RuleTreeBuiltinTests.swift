import Foundation
import TestSupport
import Testing

/// `modules.builtin.bin` and `modules.builtin.alias.bin` (docs/depmod-index.md, Builtin indexes): made from the
/// two inputs when present, 0-byte files when not.
@Suite struct RuleTreeBuiltinTests {
    static func tree(builtin: [UInt8]?, modinfo: [UInt8]?) throws -> DepmodOracle {
        try DepmodOracle { tree in
            try tree.installed("kernel/fs/fat/fat.ko")
            try tree.installed("kernel/fs/fat/vfat.ko")
            if let builtin { try tree.file("modules.builtin", builtin) }
            if let modinfo { try tree.file("modules.builtin.modinfo", modinfo) }
        }
    }

    static func installed(_ name: String) throws -> [UInt8] {
        try bytes(of: try InstalledKernel.find().moduleDirectory.appendingPathComponent(name))
    }

    /// A missing input still gives its `.bin`, with no bytes at all.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func installedInputsOrNone(hasBuiltin: Bool, hasModinfo: Bool) throws {
        let tree = try Self.tree(
            builtin: hasBuiltin ? try Self.installed("modules.builtin") : nil,
            modinfo: hasModinfo ? try Self.installed("modules.builtin.modinfo") : nil)
        try tree.expectSameAsDepmod()
        let builtinBin = try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.builtin.bin"))
        let aliasBin = try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.builtin.alias.bin"))
        #expect(builtinBin.isEmpty == !hasBuiltin)
        #expect(aliasBin.isEmpty == !hasModinfo)
    }

    /// Lines that are not module paths are skipped (first byte not a letter), a repeated line gives two values,
    /// the name is cut at the first `.` after the last `/` and keeps its dashes-to-underscores rule.
    static let handMadeBuiltin = Array(
        """
        kernel/fs/ext4/ext4.ko
        kernel/drivers/char/mem-dev.ko
        1kernel/invalid/line.ko
        /kernel/leading/slash.ko
        kernel/fs/ext4/ext4.ko
        kernel/odd/name.with.dots.ko
        kernel/fs/fat/fat.ko
        nodirectory.ko

        kernel/last/no-newline.ko
        """.utf8)

    /// Duplicate aliases across modules, a bracket pattern, an unmatched bracket, a record with no `=`, an empty
    /// alias, other keys, a record with no `.` and dashes in the module name.
    static let handMadeModinfo: [UInt8] =
        Array(
            [
                "ext4.alias=fs-ext4", "ext4.alias=fs-ext3", "ext4.description=Fourth Extended Filesystem", "jbd2.alias=fs-ext4",
                "mem-dev.alias=char-major-1-*", "pcspkr.alias=platform:pcspkr", "pcspkr.alias=pc[sS]pkr-[a-b]",
                "broken.alias=unmatched]bracket", "broken.alias=open[bracket", "noequals.alias", "empty.alias=", "nodot=alias",
                "ext4.alias=fs-ext4", "dup.alias=shared-alias", "dup2.alias=shared-alias", "dup3.alias=shared-alias",
            ].joined(separator: "\0").utf8) + [0]

    @Test(arguments: [(true, false), (false, true), (true, true)])
    func handMadeInputs(hasBuiltin: Bool, hasModinfo: Bool) throws {
        let tree = try Self.tree(
            builtin: hasBuiltin ? Self.handMadeBuiltin : nil, modinfo: hasModinfo ? Self.handMadeModinfo : nil)
        try tree.expectSameAsDepmod()
    }

    /// depmod cuts the name at the first `.` of a line read with its newline, so a path whose file name has no `.`
    /// keeps the `\n` in its key (`suffix\n`).
    @Test func builtinLineWithoutDotKeepsItsNewline() throws {
        let tree = try Self.tree(builtin: Array("kernel/no/suffix\nkernel/fs/fat/fat.ko\n".utf8), modinfo: nil)
        try tree.expectSameAsDepmod()
    }

    /// libkmod's reader of modules.builtin.modinfo only takes NUL-terminated records, so a last record with no
    /// NUL is dropped.
    @Test func unterminatedLastModinfoRecordIsDropped() throws {
        let tree = try Self.tree(builtin: nil, modinfo: Array("first.alias=kept\0last.alias=no-terminator".utf8))
        try tree.expectSameAsDepmod()
    }

    /// Inputs that exist but hold no keys give the 12-byte empty index, not a 0-byte file.
    @Test func emptyInputsGiveTheEmptyIndex() throws {
        let tree = try Self.tree(builtin: Array("9not-a-module\n".utf8), modinfo: Array("x.description=nothing\0".utf8))
        try tree.expectSameAsDepmod()
        let builtinBin = try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.builtin.bin"))
        #expect(builtinBin == [0xB0, 0x07, 0xF4, 0x57, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0C])
    }
}

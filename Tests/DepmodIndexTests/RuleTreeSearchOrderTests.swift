import Foundation
import TestSupport
import Testing

/// Which file wins when a module name is found twice, with the default configuration (search list just
/// `updates`): docs/depmod-index.md, Duplicate priorities. Each duplicate carries its own alias, so the winner
/// shows in modules.alias as well as in modules.dep.
@Suite struct RuleTreeSearchOrderTests {
    /// `updates/` beats `kernel/`, whichever is read first; `extra/` is not in the default list, so against
    /// `kernel/` it is a plain tie; modules only in `updates/` or `extra/` are unlisted and come in hash order.
    @Test func updatesBeatsKernelAndExtraIsNotSearchedByDefault() throws {
        let tree = try DepmodOracle { tree in
            try tree.installed("kernel/fs/fat/fat.ko")
            try tree.installed("kernel/fs/fat/vfat.ko")
            try tree.installed("kernel/fs/fat/fat.ko", at: "updates/fat.ko")
            try tree.installed("kernel/fs/fat/vfat.ko", at: "extra/vfat.ko")
            try tree.module("kernel/drivers/thing.ko", modinfo: ["alias=where:kernel"], exports: ["thing_export"])
            try tree.module("updates/drivers/thing.ko", modinfo: ["alias=where:updates"], exports: ["thing_export"])
            try tree.module("extra/only-extra.ko", modinfo: ["alias=where:extra"], imports: ["thing_export"])
            try tree.module("updates/only_updates.ko", modinfo: ["alias=where:updates-only"], imports: ["fat_attach"])
            try tree.module("misc/misc-mod.ko", modinfo: ["alias=where:misc"])
        }
        try tree.expectSameAsDepmod()
        let dep = String(decoding: try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.dep")), as: UTF8.self)
        #expect(dep.contains("updates/fat.ko:") && !dep.contains("kernel/fs/fat/fat.ko"))
        #expect(dep.contains("updates/drivers/thing.ko:") && !dep.contains("kernel/drivers/thing.ko"))
    }

    /// Pairs of same-named files in two sibling directories, created in alternating order so that, whatever
    /// order the file system lists them in, both outcomes of the tie occur somewhere. `under` is the subtree:
    /// inside `updates/` the file read later wins, outside any search directory the one read first.
    @Test(arguments: ["updates", "kernel", "extra"])
    func sameNameTwiceFollowsReaddirOrder(under: String) throws {
        let pairs = 8
        let tree = try DepmodOracle { tree in
            for pair in 0..<pairs {
                let sides = pair % 2 == 0 ? ["a", "b"] : ["b", "a"]
                for side in sides {
                    try tree.module(
                        "\(under)/\(side)\(pair)/dup\(pair).ko", modinfo: ["alias=dup\(pair)-from-\(side)"], exports: ["dup\(pair)_\(side)"]
                    )
                }
                // The same name spelt with a dash and an underscore is one module too.
                try tree.module("\(under)/\(sides[0])\(pair)/dash-\(pair).ko", modinfo: ["alias=dash\(pair)-\(sides[0])"])
                try tree.module("\(under)/\(sides[1])\(pair)/dash_\(pair).ko", modinfo: ["alias=dash\(pair)-\(sides[1])"])
            }
            try tree.module("kernel/user.ko", imports: (0..<pairs).flatMap { ["dup\($0)_a", "dup\($0)_b"] })
        }
        try tree.expectSameAsDepmod()
        // Both orders of listing must have occurred, or half of the rule went untested.
        var firstListed = Set<String>()
        for pair in 0..<pairs {
            let names = DepmodOracle.readdirNames(tree.ourModuleDirectory.appendingPathComponent(under))
            firstListed.insert(names.first { $0 == "a\(pair)" || $0 == "b\(pair)" }.map { String($0.prefix(1)) } ?? "?")
        }
        #expect(firstListed == ["a", "b"], "the file system listed every pair the same way round")
    }

    /// A duplicate in `updates/` beats one in `kernel/` even when `kernel/` also has it twice.
    @Test func updatesBeatsBothKernelCopies() throws {
        let tree = try DepmodOracle { tree in
            try tree.module("kernel/x/triple.ko", modinfo: ["alias=triple-x"])
            try tree.module("kernel/y/triple.ko", modinfo: ["alias=triple-y"])
            try tree.module("updates/triple.ko", modinfo: ["alias=triple-updates"])
        }
        try tree.expectSameAsDepmod()
        let alias = String(decoding: try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.alias")), as: UTF8.self)
        #expect(alias.contains("alias triple-updates triple\n"))
    }
}

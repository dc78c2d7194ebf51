import Foundation
import TestSupport
import Testing

/// How `modules.order` reorders the module array (docs/depmod-index.md, Module order), which decides the line
/// order of modules.dep, .alias, .softdep and .devname and every priority in the `.bin` files.
@Suite struct RuleTreeModuleOrderTests {
    /// Ten modules with dependencies between them (so the topological order has work to do), one compressed,
    /// one with dashes, plus modules in `updates/` and `extra/` that no `modules.order` lists.
    static func tree(order: String?) throws -> DepmodOracle {
        try DepmodOracle { tree in
            let names = ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m-dash", "m9"]
            for (index, name) in names.enumerated() {
                // Each imports the exports of the two before it.
                let imports = (max(0, index - 2)..<index).map { "sym\($0)" }
                try tree.module(
                    "kernel/d\(index % 3)/\(name).ko", modinfo: ["alias=order:\(name)", "softdep=pre: \(names[(index + 1) % 10])"],
                    exports: ["sym\(index)"], imports: imports)
            }
            try tree.compress("kernel/d0/m3.ko", with: "xz")
            try tree.module("updates/u1.ko", modinfo: ["alias=order:u1"], imports: ["sym9"])
            try tree.module("extra/e1.ko", modinfo: ["alias=order:e1"], exports: ["sym_e1"], imports: ["sym0"])
            try tree.module("kernel/d1/unlisted.ko", modinfo: ["alias=order:unlisted"], imports: ["sym_e1"])
            if let order { try tree.text("modules.order", order) }
        }
    }

    static let listed = [
        "kernel/d0/m0.ko", "kernel/d1/m1.ko", "kernel/d2/m2.ko", "kernel/d0/m3.ko", "kernel/d1/m4.ko", "kernel/d2/m5.ko",
        "kernel/d0/m6.ko", "kernel/d1/m7.ko", "kernel/d2/m-dash.ko", "kernel/d0/m9.ko",
    ]

    static func lines(_ paths: [String]) -> String { paths.map { $0 + "\n" }.joined() }

    @Test(
        arguments: [
            ("missing", nil),
            ("all listed", lines(listed)),
            ("reversed", lines(listed.reversed())),
            ("subset, others unlisted", lines([listed[7], listed[2], listed[5]])),
            ("a duplicate keeps its last line", lines([listed[4], listed[1], listed[6], listed[4], listed[0]])),
            ("last line without newline", lines(Array(listed.reversed().dropLast())) + listed[0]),
            ("names nothing on disk", lines(["kernel/gone.ko", listed[3], "kernel/d0/m3.ko.xz", listed[8]])),
            ("underscore spelling does not match the dashed file", lines(["kernel/d2/m_dash.ko", listed[9]])),
            ("empty", ""),
            ("blank lines", "\n" + lines([listed[2]]) + "\n\n" + lines([listed[1]])),
            ("updates and extra listed", lines(["updates/u1.ko", "extra/e1.ko", listed[0]])),
        ] as [(String, String?)])
    func orderFileDecidesTheArray(_ label: String, order: String?) throws {
        try Self.tree(order: order).expectSameAsDepmod()
    }
}

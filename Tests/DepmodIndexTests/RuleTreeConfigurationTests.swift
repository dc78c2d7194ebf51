import Foundation
import TestSupport
import Testing

/// depmod.d files given with `-C` to both tools (docs/depmod-index.md, Configuration: depmod.d, and Duplicate
/// priorities): `search`, `override`, `external`, `exclude`, bad lines and continuations. Every module carries the
/// alias `NAME-from-PLACE`, so the winner of each duplicate shows in modules.alias as well as in modules.dep.
@Suite struct RuleTreeConfigurationTests {
    /// Same-named modules spread over `updates/`, `extra/`, `misc/`, `kernel/` and two external directories.
    /// `EXT1` and `EXT2` in `configuration` stand for the external directories' absolute paths.
    static func searchTree(configuration: String) throws -> DepmodOracle {
        let placements: [(name: String, places: [String])] = [
            ("alpha", ["kernel", "updates", "extra", "misc"]), ("beta", ["kernel", "extra"]), ("gamma", ["updates", "extra"]),
            ("delta", ["misc", "updates"]), ("eps", ["kernel/a", "kernel/b"]), ("zeta", ["kernel", "updates/deep/er"]),
        ]
        let tree = try DepmodOracle { tree in
            for (name, places) in placements {
                for place in places {
                    try tree.module("\(place)/\(name).ko", modinfo: ["alias=\(name)-from-\(place)"], exports: ["\(name)_sym"])
                }
            }
            try tree.module("kernel/user.ko", imports: placements.map { "\($0.name)_sym" } + ["ext_only_sym"])
        }
        var configuration = configuration
        for external in ["EXT1", "EXT2"] {
            let path = try tree.externalDirectory(external.lowercased()) { directory in
                for name in ["alpha", "beta", "ext-only"] {
                    let symbol = name == "ext-only" ? "ext_only_sym" : "\(name)_sym"
                    try directory.module("sub/\(name).ko", modinfo: ["alias=\(name)-from-\(external)"], exports: [symbol])
                }
            }
            configuration = configuration.replacingOccurrences(of: external, with: path)
        }
        try tree.configure(configuration)
        return tree
    }

    @Test(arguments: [
        "search updates extra built-in",
        "search extra updates",
        "search built-in extra\nsearch updates",
        "search misc updates built-in extra",
        "search kernel updates",
        "search updates/deep updates",
        "search extra \\\n  updates built-in",
        "search external updates built-in\nexternal * EXT1",
        "search updates built-in external\nexternal 6.1.0-1-test EXT1",
        "external * EXT1",
        "search external\nexternal * EXT1\nexternal 6.1.* EXT2",
        "search built-in external extra\nexternal ^6\\.1 EXT2\nexternal .* EXT1",
        "search external\nexternal * EXT1 EXT2",
        "search external built-in\nexternal 5.10.0 EXT1",
        "search\nsearch updates",
    ])
    func searchListDecidesDuplicates(configuration: String) throws {
        try Self.searchTree(configuration: configuration).expectSameAsDepmod()
    }

    @Test(arguments: [
        "override alpha 6.1.0-1-test extra",
        "override alpha 6.1.* misc\nsearch updates extra",
        "override zeta * updates/deep/er",
        "override alpha * extra\noverride alpha * kernel",
        "override alpha 5.10.0 kernel",
        "override alpha [ kernel",
        "override alpha ^6\\.1\\.0-1 kernel\nsearch external\nexternal * EXT1",
        "override beta * EXT1/sub\nexternal * EXT1",
        "override eps * kernel/a\noverride delta * misc",
    ])
    func overrideDecidesDuplicates(configuration: String) throws {
        try Self.searchTree(configuration: configuration).expectSameAsDepmod()
    }

    /// An override names the file as spelt: `foo_bar` does not override `foo-bar.ko`.
    @Test(arguments: ["override dash_name * extra", "override dash-name * extra", "override dash-name * kernel"])
    func overrideUsesTheFilesSpelling(configuration: String) throws {
        let tree = try DepmodOracle { tree in
            try tree.module("kernel/dash-name.ko", modinfo: ["alias=dash-from-kernel"])
            try tree.module("extra/dash-name.ko", modinfo: ["alias=dash-from-extra"])
            try tree.module("updates/dash_name.ko", modinfo: ["alias=dash-from-updates"])
        }
        try tree.configure(configuration)
        try tree.expectSameAsDepmod()
    }

    /// `exclude` skips an entry of exactly that name at any depth, directory or file, and several names may
    /// share a line.
    @Test func excludeSkipsNamesAtAnyDepth() throws {
        let tree = try DepmodOracle { tree in
            try tree.module("kernel/skipme/hidden.ko", modinfo: ["alias=hidden"], exports: ["hidden_sym"])
            try tree.module("kernel/deep/er/skipme/hidden2.ko")
            try tree.module("kernel/deep/er/kept.ko", imports: ["hidden_sym"])
            try tree.module("kernel/x/bad.ko", modinfo: ["alias=bad-kernel"])
            try tree.module("extra/bad.ko", modinfo: ["alias=bad-extra"])
            try tree.module("updates/whole/dir.ko")
            try tree.module("kernel/bad.ko.xz.ko")
        }
        try tree.configure("exclude skipme bad.ko\nexclude updates\n")
        try tree.expectSameAsDepmod()
        let dep = String(decoding: try bytes(of: tree.ourModuleDirectory.appendingPathComponent("modules.dep")), as: UTF8.self)
        #expect(!dep.contains("skipme") && !dep.contains("bad.ko:") && !dep.contains("updates/"))
    }

    /// Lines depmod rejects are skipped with a message naming the line, and the rest of the file still applies.
    /// (`search` and `exclude` with no argument are accepted silently; a comment must start in column 1.)
    @Test func badLinesAreIgnoredAndReported() throws {
        let tree = try Self.searchTree(configuration: "")
        try tree.configure(
            """
            frobnicate x
            search
            override a b
            external onlyone
            exclude
            include foo
            make_map_files
            \tsearch extra
              # an indented comment
            search misc \\
             updates built-in

            # a comment
            override alpha [ kernel
            """)
        // Files that are not read: hidden, not *.conf, a directory.
        try tree.configure("search kernel\n", file: ".hidden.conf")
        try tree.configure("search kernel\n", file: "other.txt")
        try FileManager.default.createDirectory(
            at: tree.configurationDirectory!.appendingPathComponent("sub.conf"), withIntermediateDirectories: true)
        let outcome = try tree.expectSameAsDepmod()
        // depmod: ERROR: /…/depmod.d/test.conf:1: ignoring bad line starting with 'frobnicate'
        let theirLines = outcome.oracle.standardError.split(separator: "\n").compactMap { line -> Int? in
            guard line.contains("ignoring bad line"), let range = line.range(of: "test.conf:") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        // `include` and `make_map_files` get an informational message only, which depmod does not show by default.
        let ourLines = outcome.diagnostics.filter { $0.file?.string.hasSuffix("test.conf") == true && $0.severity != .note }
            .compactMap(\.line)
        #expect(theirLines == [1, 3, 4, 9])
        #expect(ourLines == theirLines, "\(outcome.diagnostics)")
        // The directory among the configuration files is reported once, as depmod does.
        let ourDirectoryWarnings = outcome.diagnostics.filter { $0.file?.string.hasSuffix("sub.conf") == true }.count
        let theirDirectoryWarnings = outcome.oracle.standardError.split(separator: "\n").filter { $0.hasSuffix("sub.conf") }.count
        #expect(theirDirectoryWarnings == 1)
        #expect(ourDirectoryWarnings == theirDirectoryWarnings, "\(outcome.diagnostics)")
    }

    /// Files are read in name order across all `-C` directories, and a later `search` line ranks lower.
    @Test func filesAreReadInNameOrder() throws {
        let tree = try Self.searchTree(configuration: "search extra")
        try tree.configure("search misc", file: "a-first.conf")
        try tree.configure("search updates built-in", file: "z-last.conf")
        try tree.expectSameAsDepmod()
    }
}

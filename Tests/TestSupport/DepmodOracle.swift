import Foundation

/// Golden comparison against the real `depmod` (kmod 30): one small module tree built twice, by replaying the same
/// steps into two roots, so one can be indexed by `depmod -b` and the other by kmodmgr, and the ten files compared.
///
/// The tree is built by replaying steps rather than copied, because a copy (`cp -r`) creates entries in the
/// source's `readdir` order, which can change the order the copy lists them in — and that order decides depmod's
/// tie-breaks (docs/depmod-index.md, Duplicate priorities). `readdirMismatches()` checks the two roots still list
/// alike.
///
/// Only Foundation is used here (TestSupport depends on no kmodmgr target); running kmodmgr's library and reading
/// the result back is left to the test targets.
public final class DepmodOracle: @unchecked Sendable {
    /// The ten files depmod writes, in its writing order.
    public static let indexFileNames = [
        "modules.dep", "modules.dep.bin", "modules.alias", "modules.alias.bin", "modules.softdep", "modules.symbols",
        "modules.symbols.bin", "modules.builtin.bin", "modules.builtin.alias.bin", "modules.devname",
    ]

    public let scratch: TemporaryDirectory
    public let kernelRelease: String
    /// The root `depmod -b` indexes.
    public let oracleRoot: URL
    /// The root kmodmgr indexes.
    public let ourRoot: URL
    /// A depmod.d directory on this machine, given to both tools with `-C` once `configure` has written to it.
    public private(set) var configurationDirectory: URL?

    /// Makes both roots with `ROOT/lib/modules/<kernelRelease>` and runs `build` once for each.
    public init(kernelRelease: String = "6.1.0-1-test", build: (TreeBuilder) throws -> Void) throws {
        scratch = try TemporaryDirectory()
        self.kernelRelease = kernelRelease
        oracleRoot = scratch.path("oracle")
        ourRoot = scratch.path("ours")
        for root in [oracleRoot, ourRoot] {
            let builder = TreeBuilder(root: root, kernelRelease: kernelRelease)
            try FileManager.default.createDirectory(at: builder.moduleDirectory, withIntermediateDirectories: true)
            try build(builder)
        }
    }

    public var oracleModuleDirectory: URL { Self.moduleDirectory(oracleRoot, kernelRelease) }
    public var ourModuleDirectory: URL { Self.moduleDirectory(ourRoot, kernelRelease) }

    static func moduleDirectory(_ root: URL, _ release: String) -> URL {
        root.appendingPathComponent("lib/modules").appendingPathComponent(release)
    }

    /// Changes both copies of the tree the same way, e.g. between two runs.
    public func modify(_ change: (TreeBuilder) throws -> Void) throws {
        for root in [oracleRoot, ourRoot] { try change(TreeBuilder(root: root, kernelRelease: kernelRelease)) }
    }

    /// Writes `text` to the file `name` of the shared depmod.d directory (both tools then read it through `-C`).
    public func configure(_ text: String, file name: String = "test.conf") throws {
        let directory = scratch.path("depmod.d")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
        configurationDirectory = directory
    }

    /// A directory on this machine for `external` lines, built once by `build` and shared by both tools: depmod
    /// reads it from the host, kmodmgr under its root, so each root gets a link at the same absolute path
    /// pointing back to it, and both write the same absolute paths.
    public func externalDirectory(_ name: String, build: (TreeBuilder) throws -> Void) throws -> String {
        let host = scratch.path(name)
        try FileManager.default.createDirectory(at: host, withIntermediateDirectories: true)
        try build(TreeBuilder(directory: host))
        for root in [oracleRoot, ourRoot] {
            let link = root.appendingPathComponent(String(host.path.dropFirst()))
            try FileManager.default.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: host.path)
        }
        return host.path
    }

    /// The command line for the real depmod on the oracle root.
    public var oracleArguments: [String] {
        ["-b", oracleRoot.path] + (configurationDirectory.map { ["-C", $0.path] } ?? []) + [kernelRelease]
    }

    /// Runs `depmod -b ORACLE_ROOT [-C DIR] KVER`.
    @discardableResult
    public func runOracle() throws -> ProcessResult {
        try run("depmod", oracleArguments)
    }

    /// Every regular file directly inside `directory` with its bytes (a snapshot, to prove nothing changed).
    public static func snapshot(_ directory: URL) throws -> [String: [UInt8]] {
        var files = [String: [UInt8]]()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let url = directory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[name] = try bytes(of: url)
            }
        }
        return files
    }

    /// The ten files of each root compared: one readable line per file that is missing or differs, naming the
    /// first differing line (text files) or byte (`.bin` files). Empty when all ten are identical.
    public func differences() -> [String] {
        Self.indexFileNames.compactMap { name in
            let ours = try? bytes(of: ourModuleDirectory.appendingPathComponent(name))
            let theirs = try? bytes(of: oracleModuleDirectory.appendingPathComponent(name))
            switch (ours, theirs) {
            case (nil, nil): return "\(name): written by neither tool"
            case (nil, _): return "\(name): depmod wrote it, kmodmgr did not"
            case (_, nil): return "\(name): kmodmgr wrote it, depmod did not"
            case (let ours?, let theirs?):
                if ours == theirs { return nil }
                return name.hasSuffix(".bin")
                    ? "\(name): " + Self.firstByteDifference(ours, theirs) : "\(name): " + Self.firstLineDifference(ours, theirs)
            }
        }
    }

    /// Where two text files first differ, by line, with both lines shown.
    public static func firstLineDifference(_ ours: [UInt8], _ theirs: [UInt8]) -> String {
        let ourLines = ours.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let theirLines = theirs.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let line =
            zip(ourLines, theirLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ourLines.count, theirLines.count)
        func shown(_ lines: [String]) -> String { line < lines.count ? "\"\(lines[line])\"" : "(end of file)" }
        return
            "line \(line + 1) differs (\(ours.count) bytes vs depmod's \(theirs.count)):\n  kmodmgr: \(shown(ourLines))\n  depmod:  \(shown(theirLines))"
    }

    /// Where two binary files first differ, with 16 bytes of each from there in hex.
    public static func firstByteDifference(_ ours: [UInt8], _ theirs: [UInt8]) -> String {
        let offset = zip(ours, theirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ours.count, theirs.count)
        func hex(_ bytes: [UInt8]) -> String {
            bytes.dropFirst(offset).prefix(16).map { String(format: "%02x", $0) }.joined(separator: " ")
        }
        return "byte 0x\(String(offset, radix: 16)) differs (\(ours.count) bytes vs depmod's \(theirs.count)):\n"
            + "  kmodmgr: \(hex(ours))\n  depmod:  \(hex(theirs))"
    }

    /// Directories whose entries the two roots list in different `readdir` orders. Such a tree cannot be
    /// compared fairly (the tie-breaks of §2.3 follow that order), so a non-empty answer is a broken fixture.
    public func readdirMismatches() -> [String] {
        var mismatches = [String]()
        func walk(_ relative: String) {
            let ours = Self.readdirNames(ourModuleDirectory.appendingPathComponent(relative))
            let theirs = Self.readdirNames(oracleModuleDirectory.appendingPathComponent(relative))
            let modules = { (names: [String]) in names.filter { !$0.hasPrefix("modules.") } }
            if modules(ours) != modules(theirs) { mismatches.append("\(relative.isEmpty ? "." : relative): \(ours) vs \(theirs)") }
            for name in theirs {
                let child = relative.isEmpty ? name : relative + "/" + name
                var isDirectory: ObjCBool = false
                let path = oracleModuleDirectory.appendingPathComponent(child).path
                let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
                if !isLink, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                    walk(child)
                }
            }
        }
        walk("")
        return mismatches
    }

    /// The names in `directory` in raw `readdir` order.
    public static func readdirNames(_ directory: URL) -> [String] {
        guard let stream = opendir(directory.path) else { return [] }
        defer { closedir(stream) }
        var names = [String]()
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

/// Writes one copy of a test tree: paths are relative to the module directory (`ROOT/lib/modules/KVER`), or to the
/// directory being built for an external one.
public struct TreeBuilder {
    /// The directory relative paths start from.
    public let moduleDirectory: URL

    init(root: URL, kernelRelease: String) {
        moduleDirectory = DepmodOracle.moduleDirectory(root, kernelRelease)
    }

    init(directory: URL) {
        moduleDirectory = directory
    }

    public func url(_ relativePath: String) -> URL { moduleDirectory.appendingPathComponent(relativePath) }

    private func makeParent(_ relativePath: String) throws {
        try FileManager.default.createDirectory(at: url(relativePath).deletingLastPathComponent(), withIntermediateDirectories: true)
    }

    /// Writes `contents` at `relativePath`, making directories as needed.
    public func file(_ relativePath: String, _ contents: [UInt8]) throws {
        try makeParent(relativePath)
        try write(contents, to: url(relativePath))
    }

    /// Writes `text` at `relativePath`.
    public func text(_ relativePath: String, _ text: String) throws {
        try file(relativePath, Array(text.utf8))
    }

    /// A synthetic 64-bit little-endian module with these `.modinfo` strings, exports and (strong) imports.
    public func module(_ relativePath: String, modinfo: [String] = [], exports: [String] = [], imports: [String] = []) throws {
        let module = SyntheticModule(
            is64Bit: true, bigEndian: false, modinfo: modinfo, versions: [],
            exports: exports.enumerated().map { ($1, UInt32(0x1000 + $0)) }, imports: imports.map { ($0, false) })
        try file(relativePath, module.bytes())
    }

    /// A copy of the installed kernel's `installedPath` (relative to its module directory) at `relativePath`.
    public func installed(_ installedPath: String, at relativePath: String? = nil) throws {
        let source = try InstalledKernel.find().moduleDirectory.appendingPathComponent(installedPath)
        try file(relativePath ?? installedPath, try bytes(of: source))
    }

    /// A symbolic link at `relativePath` whose target is `target`, written as given.
    public func link(_ relativePath: String, to target: String) throws {
        try makeParent(relativePath)
        try FileManager.default.createSymbolicLink(atPath: url(relativePath).path, withDestinationPath: target)
    }

    /// Compresses the file at `relativePath` with the real `tool` (`xz`, `zstd` or `gzip`), adding its suffix;
    /// the original is kept only when `keep` is set.
    public func compress(_ relativePath: String, with tool: String, keep: Bool = false) throws {
        let arguments: [String] =
            switch tool {
            case "xz": ["-f", "--check=crc32"]
            case "zstd": ["-q", "-f", "--rm"]
            default: ["-n", "-f"]
            }
        let result = try run(tool, arguments + (keep ? ["-k"] : []) + [url(relativePath).path])
        guard result.status == 0 else { throw CompressionFailed(tool: tool, message: result.standardError) }
    }

    public struct CompressionFailed: Error, CustomStringConvertible {
        public let tool: String
        public let message: String
        public var description: String { "\(tool) failed: \(message)" }
    }
}

import DepmodIndex
import Foundation
import KmodBridge
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// How the modules of a whole-tree copy are stored.
enum TreeCompression: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case none, xz, zst

    var testDescription: String { self == .none ? "plain .ko" : ".ko.\(rawValue)" }

    /// The suffix every module path in `modules.dep` ends with.
    var moduleSuffix: String { self == .none ? ".ko" : ".ko.\(rawValue)" }
}

/// Copies of the installed kernel's whole module tree (`InstalledKernel`, ~4,000 modules) for tests that index all
/// of it. Copies are hard links (`cp -al`): the tree lives on the same filesystem as the temp directory, and both
/// tools publish by writing a new file and renaming it, never by writing into an existing one. Tests that edit a
/// copy must therefore unlink before writing (`TreeBuilder.replace`), or they would write through to the original.
enum FullTree {
    static var kernel: InstalledKernel { get throws { try InstalledKernel.find() } }

    /// The installed module directory itself (plain `.ko`), or a fixture of it with every module compressed.
    static func source(_ compression: TreeCompression) throws -> URL {
        switch compression {
        case .none: try kernel.moduleDirectory
        case .xz: try xzSource.get()
        case .zst: try zstSource.get()
        }
    }

    /// Two roots (`oracleRoot`, `ourRoot`) each holding a hard-linked copy of `source(compression)` as
    /// `lib/modules/<release>`. The ten index files the original holds are removed from both copies unless
    /// `keepingIndex`: a stale original left in place could pass for a file a tool failed to write.
    static func copies(_ compression: TreeCompression, keepingIndex: Bool = false) throws -> DepmodOracle {
        let source = try source(compression)
        return try DepmodOracle(kernelRelease: try kernel.release) { tree in
            try hardLinkCopy(of: source, into: tree.moduleDirectory)
            if !keepingIndex {
                for name in DepmodOracle.indexFileNames { try? FileManager.default.removeItem(at: tree.url(name)) }
            }
        }
    }

    /// `cp -al SOURCE/. DESTINATION` (the destination must exist).
    static func hardLinkCopy(of source: URL, into destination: URL) throws {
        let result = try run("cp", ["-al", source.path + "/.", destination.path])
        guard result.status == 0 else { throw FixtureFailure("cp -al \(source.path): \(result.standardError)") }
    }

    // Built at most once per test process; later processes reuse the fixture on disk.
    private static let xzSource = Result { try compressedFixture(tool: "xz") }
    private static let zstSource = Result { try compressedFixture(tool: "zst") }

    /// `.fixtures/depmod-trees/<release>/<tool>` in the package (gitignored): the installed module directory with
    /// every `kernel/**.ko` compressed the way Debian does (`xz --check=crc32 --lzma2=dict=1MiB`, or
    /// `zstd -q --rm`), and no index files. Built into a temp directory and renamed into place with a `.done`
    /// marker inside, so an interrupted build is never reused; about a minute to build on two cores.
    static func compressedFixture(tool: String) throws -> URL {
        let kernel = try kernel
        let base = packageRoot.appendingPathComponent(".fixtures/depmod-trees").appendingPathComponent(kernel.release)
        let final = base.appendingPathComponent(tool)
        let marker = final.appendingPathComponent(".done")
        if FileManager.default.fileExists(atPath: marker.path) { return final }
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        // A directory without its marker was not made by this code (it renames only finished builds): rebuild.
        if FileManager.default.fileExists(atPath: final.path) { try FileManager.default.removeItem(at: final) }
        // Leftovers of builds whose process is gone.
        let prefix = ".\(tool).building-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [] where name.hasPrefix(prefix) {
            if !FileManager.default.fileExists(atPath: "/proc/\(name.dropFirst(prefix.count))") {
                try? FileManager.default.removeItem(at: base.appendingPathComponent(name))
            }
        }
        let building = base.appendingPathComponent(prefix + "\(getpid())")
        try? FileManager.default.removeItem(at: building)
        try FileManager.default.createDirectory(at: building, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: building) }
        // A real copy, not links: the compressors unlink their input, and must never see the original.
        let copied = try run("cp", ["-a", kernel.moduleDirectory.path + "/.", building.path])
        guard copied.status == 0 else { throw FixtureFailure("cp -a: \(copied.standardError)") }
        for name in DepmodOracle.indexFileNames { try? FileManager.default.removeItem(at: building.appendingPathComponent(name)) }
        let compressor = tool == "xz" ? "xz --check=crc32 --lzma2=dict=1MiB" : "zstd -q --rm"
        let compressed = try run("/bin/sh", ["-c", "find kernel -name '*.ko' -print0 | xargs -0 -r -P2 -n 32 \(compressor)"], in: building)
        guard compressed.status == 0 else { throw FixtureFailure("\(compressor): \(compressed.standardError)") }
        let files = FileManager.default.enumerator(atPath: building.appendingPathComponent("kernel").path)?.allObjects as? [String] ?? []
        let count = files.filter { $0.hasSuffix(".ko.\(tool)") }.count
        let left = files.filter { $0.hasSuffix(".ko") }
        guard count == kernel.modules.count, left.isEmpty else {
            throw FixtureFailure("\(tool) fixture has \(count) of \(kernel.modules.count) modules compressed; left: \(left.prefix(3))")
        }
        try Data().write(to: building.appendingPathComponent(".done"))
        if rename(building.path, final.path) != 0 {
            // Another process finished first: use its tree.
            guard FileManager.default.fileExists(atPath: marker.path) else {
                throw FixtureFailure("cannot rename \(building.path) to \(final.path): errno \(errno)")
            }
        }
        return final
    }

    /// The package directory (three levels above this file).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct FixtureFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

/// What the tests must never change in the installed tree: every file's size, modification time and inode, and
/// the bytes of the files directly in the module directory (the index files, `modules.order`, …). The link count
/// and change time are left out: `cp -al` itself changes them.
struct InstalledTreeState: Equatable {
    struct FileState: Equatable {
        let size: Int64
        let modification: Int64
        let inode: UInt64
    }

    let files: [String: FileState]
    let topLevel: [String: [UInt8]]

    static func take() throws -> InstalledTreeState {
        let directory = try FullTree.kernel.moduleDirectory
        var files = [String: FileState]()
        let walker = FileManager.default.enumerator(atPath: directory.path)
        while let relative = walker?.nextObject() as? String {
            var status = stat()
            guard lstat(directory.appendingPathComponent(relative).path, &status) == 0 else { continue }
            files[relative] = FileState(
                size: Int64(status.st_size), modification: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec),
                inode: UInt64(status.st_ino))
        }
        return InstalledTreeState(files: files, topLevel: try DepmodOracle.snapshot(directory))
    }

    /// The paths whose state differs between `self` and `later`.
    func changes(to later: InstalledTreeState) -> [String] {
        let paths = Set(files.keys).union(later.files.keys).union(topLevel.keys).union(later.topLevel.keys)
        return paths.filter { files[$0] != later.files[$0] || topLevel[$0] != later.topLevel[$0] }.sorted()
    }
}

extension TreeBuilder {
    /// Replaces the file at `relativePath` by a new file (a new inode) holding `contents`: the old one is unlinked
    /// first, so a hard-linked original elsewhere is not written through.
    func replace(_ relativePath: String, with contents: [UInt8]) throws {
        try? FileManager.default.removeItem(at: url(relativePath))
        try file(relativePath, contents)
    }

    /// Renames `from` to `to` (`rename(2)`: same inode, same modification time), making `to`'s directory.
    func move(_ from: String, to: String) throws {
        try FileManager.default.createDirectory(at: url(to).deletingLastPathComponent(), withIntermediateDirectories: true)
        guard rename(url(from).path, url(to).path) == 0 else { throw FullTree.FixtureFailure("rename \(from) → \(to): errno \(errno)") }
    }

    /// Unlinks `relativePath`.
    func remove(_ relativePath: String) throws {
        try FileManager.default.removeItem(at: url(relativePath))
    }

    /// Gives the file at `relativePath` a new modification time and nothing else (same inode, size and bytes).
    func setModificationTime(_ relativePath: String, seconds: Int) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        guard utimensat(AT_FDCWD, url(relativePath).path, &times, 0) == 0 else {
            throw FullTree.FixtureFailure("utimensat \(relativePath): errno \(errno)")
        }
    }
}

extension DepmodOracle {
    /// The bytes of the ten files (those present) in `directory`.
    static func indexFiles(in directory: URL) -> [String: [UInt8]] {
        var files = [String: [UInt8]]()
        for name in indexFileNames { files[name] = try? bytes(of: directory.appendingPathComponent(name)) }
        return files
    }

    /// The ten files of kmodmgr's copy against `expected` (name → bytes), as readable differences.
    func differences(from expected: [String: [UInt8]], what: String) -> [String] {
        let ours = Self.indexFiles(in: ourModuleDirectory)
        return Self.indexFileNames.compactMap { name in
            switch (ours[name], expected[name]) {
            case (nil, nil): return nil
            case (nil, _): return "\(name): missing on disk, present in \(what)"
            case (_, nil): return "\(name): on disk, missing in \(what)"
            case (let ours?, let theirs?):
                if ours == theirs { return nil }
                let detail =
                    name.hasSuffix(".bin") ? Self.firstByteDifference(ours, theirs) : Self.firstLineDifference(ours, theirs)
                return "\(name) differs from \(what) (\"depmod\" below means \(what)): \(detail)"
            }
        }
    }
}

extension GeneratedIndex {
    /// The ten files by name.
    var filesByName: [String: [UInt8]] {
        Dictionary(uniqueKeysWithValues: files.map { ($0.file.fileName, $0.contents) })
    }
}

/// Names of every file ending in `.tmp` directly in `directory` (what an interrupted publish would leave).
func temporaryFiles(in directory: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".tmp") }.sorted()
}

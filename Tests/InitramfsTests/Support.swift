import Foundation
import Initramfs
import SystemPackage
import TestSupport
import Testing

/// Runs `script` with `sh -c`, `$1`… bound to `arguments`; records an issue when it fails. Returns its output.
@discardableResult
func shell(_ script: String, _ arguments: [String] = []) throws -> [UInt8] {
    let result = try run("/bin/sh", ["-c", script, "sh"] + arguments)
    #expect(result.status == 0, "sh -c '\(script)' \(arguments): \(result.standardError)")
    return [UInt8](result.stdout)
}

/// Packs the tree at `directory` into the newc archive `archive` with the real `cpio -o -H newc`, as mkinitramfs
/// does (`find . | cpio -o -H newc`); returns the member names as cpio stores them, in archive order.
func packTree(_ directory: URL, into archive: URL) throws -> [String] {
    let found = String(decoding: try shell(#"cd "$1" && find . | LC_ALL=C sort"#, [directory.path]), as: UTF8.self)
    // GNU cpio stores "./x" as "x": the list fed to it is written that way, so it is the names exactly as stored.
    let names = found.split(separator: "\n").map { $0 == "." ? "." : String($0.dropFirst(2)) }
    let list = archive.deletingLastPathComponent().appendingPathComponent(archive.lastPathComponent + ".list")
    try Data((names.joined(separator: "\n") + "\n").utf8).write(to: list)
    try shell(#"cd "$1" && cpio -o -H newc --quiet < "$2" > "$3""#, [directory.path, list.path, archive.path])
    return names
}

/// `bytes` compressed by the real command `command` (e.g. `zstd -q -c`), reading standard input.
func compressed(_ bytes: [UInt8], with command: String, scratch: TemporaryDirectory) throws -> [UInt8] {
    let input = scratch.path("compress-input")
    try write(bytes, to: input)
    return try shell(command + #" < "$1""#, [input.path])
}

/// Creates the file `relative` under `directory` with `contents`, making its parent directories.
func makeFile(_ relative: String, in directory: URL, contents: [UInt8] = [], mode: Int = 0o644) throws {
    let url = directory.appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(contents).write(to: url)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
}

/// `count` repeatable pseudo-random bytes, which no compressor shrinks.
func noise(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

/// The error `InitramfsImage.members(at:)` throws for `file`, or nil (with an issue recorded) when it throws none.
func membersError(_ file: URL) -> InitramfsError? {
    do {
        let members = try InitramfsImage.members(at: FilePath(file.path))
        Issue.record("\(file.path) read without error: \(members.count) members")
        return nil
    } catch {
        return error
    }
}

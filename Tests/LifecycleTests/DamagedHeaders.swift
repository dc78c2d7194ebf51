import Foundation
import TestSupport

/// A root holding a copy of this machine's real Debian headers for one kernel — the arch-specific tree, the
/// common tree and the kbuild directory their relative links point into — laid out as Debian installs them,
/// with `lib/modules/KVER/build -> /usr/src/linux-headers-KVER` (absolute: it must be resolved inside the root)
/// and dpkg's file lists of the kernel packages, so each test damages the copy as a user's system is damaged.
/// Files are hard links to the originals where the filesystem allows: a damage removes or replaces a file,
/// never writes through it.
final class DamagedHeaders: @unchecked Sendable {
    let base: TemporaryDirectory
    /// The root: `base` itself, or a directory inside it (`blockedParent`).
    let root: URL
    let kernel: String
    /// The headers' directory inside the root (`usr/src/linux-headers-KVER`).
    let headers: URL
    var path: String { root.path }

    /// `suffix`: appended to the name of the kernel's directory under `lib/modules` (another name than the
    /// headers' own makes a release mismatch). `blockedParent`: the root lies in a mode-0700 directory.
    init(suffix: String = "", blockedParent: Bool = false) throws {
        base = try TemporaryDirectory()
        let manager = FileManager.default
        kernel = try LifecycleRoot.kernelsWithHeaders().last!
        root = blockedParent ? base.path("root") : base.url
        try manager.createDirectory(at: root, withIntermediateDirectories: true)
        try manager.setAttributes([.posixPermissions: blockedParent ? 0o700 : 0o755], ofItemAtPath: base.url.path)
        try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.path)
        headers = try HeadersInRoot.install(kernel: kernel, into: root, directoryName: kernel + suffix)
        let info = root.appendingPathComponent("var/lib/dpkg/info")
        try manager.createDirectory(at: info, withIntermediateDirectories: true)
        for list in try manager.contentsOfDirectory(atPath: "/var/lib/dpkg/info") where list.hasPrefix("linux-") && list.hasSuffix(".list")
        {
            try manager.copyItem(atPath: "/var/lib/dpkg/info/\(list)", toPath: info.appendingPathComponent(list).path)
        }
        for directory in ["var", "var/lib"] {
            try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.appendingPathComponent(directory).path)
        }
    }

    /// Removes a file of the headers (relative to them, links followed as kbuild follows them).
    func remove(_ relative: String) throws {
        let file = headers.appendingPathComponent(relative).resolvingSymlinksInPath()
        try FileManager.default.removeItem(at: file)
    }

    /// Replaces a file of the headers with `text` (the hard link is removed first).
    func replace(_ relative: String, with text: String) throws {
        try remove(relative)
        try text.write(to: headers.appendingPathComponent(relative), atomically: false, encoding: .utf8)
    }

    /// The text of a file of the headers.
    func read(_ relative: String) throws -> String {
        try String(contentsOf: headers.appendingPathComponent(relative), encoding: .utf8)
    }

    @discardableResult
    func kmodmgr(_ command: String, _ arguments: [String]) throws -> ProcessResult {
        try TestSupport.kmodmgr([command, "--root", path] + arguments)
    }

    /// What is installed under the root's module trees (nothing, after a refused install).
    func installedModules() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root.appendingPathComponent("lib/modules").path)
        return (enumerator?.allObjects as? [String] ?? []).filter { $0.contains(".ko") }
    }
}

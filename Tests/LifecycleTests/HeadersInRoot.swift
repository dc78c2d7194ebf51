import Foundation
import TestSupport

/// Puts this machine's headers of a kernel into a test root as Debian lays them out — the arch-specific tree,
/// the common tree its Makefile includes, the kbuild directory its `scripts`/`tools` links point into — with
/// `lib/modules/KVER/build -> /usr/src/linux-headers-KVER`. kmodmgr resolves that absolute link inside the root,
/// as the managed system would, so the headers must be there: hard links to the originals (about 10,000 files,
/// a quarter of a second), a plain copy where the filesystem does not allow them. Tests that change a file
/// replace it rather than write through the link.
enum HeadersInRoot {
    /// Returns the headers' directory inside the root. `directoryName`: the kernel's directory under
    /// `lib/modules` (the release, unless a test renames it).
    @discardableResult
    static func install(kernel: String, into root: URL, directoryName: String? = nil) throws -> URL {
        let manager = FileManager.default
        let headers = try manager.destinationOfSymbolicLink(atPath: "/lib/modules/\(kernel)/build")
        var trees = [headers]
        let makefile = (try? String(contentsOfFile: headers + "/Makefile", encoding: .utf8)) ?? ""
        for line in makefile.split(separator: "\n") where line.hasPrefix("include /") {
            trees.append(URL(fileURLWithPath: String(line.dropFirst("include ".count))).deletingLastPathComponent().path)
        }
        if let scripts = try? manager.destinationOfSymbolicLink(atPath: headers + "/scripts") {
            trees.append(URL(fileURLWithPath: headers).appendingPathComponent(scripts).standardizedFileURL.deletingLastPathComponent().path)
        }
        for tree in trees {
            let target = root.appendingPathComponent(String(tree.dropFirst()))
            guard !manager.fileExists(atPath: target.path) else { continue }
            try makeDirectories(target.deletingLastPathComponent(), under: root)
            if try run("/bin/cp", ["-al", tree, target.path]).status != 0 {
                try? manager.removeItem(at: target)
                let plain = try run("/bin/cp", ["-a", tree, target.path])
                guard plain.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: ["cp": plain.standardError]) }
            }
        }
        let modules = root.appendingPathComponent("lib/modules/\(directoryName ?? kernel)")
        try makeDirectories(modules, under: root)
        try manager.createSymbolicLink(atPath: modules.appendingPathComponent("build").path, withDestinationPath: headers)
        return root.appendingPathComponent(String(headers.dropFirst()))
    }

    /// Creates `directory` and its missing parents below `root`, each mode 0755 (the build user must pass).
    private static func makeDirectories(_ directory: URL, under root: URL) throws {
        var missing = [URL]()
        var current = directory
        while current.path.count > root.path.count && !FileManager.default.fileExists(atPath: current.path) {
            missing.append(current)
            current.deleteLastPathComponent()
        }
        for directory in missing.reversed() {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        }
    }
}

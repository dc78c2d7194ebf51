import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Debian's `*-dkms` packages, unpacked, for tests that read real dkms.conf files.
///
/// The .debs are fetched once with `apt-get download` into `<package root>/.fixtures/dkms-corpus/debs` and unpacked
/// with `dpkg -x` beside them; later runs reuse both. A file lock makes concurrent test processes wait for one
/// another instead of downloading twice. Everything is made world-readable (0755 directories), because the shell
/// path of DKMSConf reads the files as `nobody`.
public enum DebianCorpus {
    /// One unpacked package.
    public struct Package: Sendable {
        /// The Debian package name (`lttng-modules-dkms`).
        public let name: String
        /// `usr/src/<name>-<version>`: the directory holding `dkms.conf`.
        public let sourceDirectory: URL
        public var dkmsConf: URL { sourceDirectory.appendingPathComponent("dkms.conf") }
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public let reason: String
        public init(reason: String) { self.reason = reason }
        public var description: String { "the Debian dkms corpus is unavailable: \(reason)" }
    }

    /// Every package, sorted by name; fetched and unpacked on first use.
    public static func packages() throws -> [Package] {
        try cached.get()
    }

    /// The package called `name` (`dahdi-dkms`).
    public static func package(_ name: String) throws -> Package {
        guard let found = try packages().first(where: { $0.name == name }) else { throw Unavailable(reason: "no package \(name)") }
        return found
    }

    private static let cached: Result<[Package], Error> = Result { try prepare() }

    private static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".fixtures/dkms-corpus")
    }

    private static func prepare() throws -> [Package] {
        let debs = fixtures.appendingPathComponent("debs")
        let unpacked = fixtures.appendingPathComponent("x")
        try FileManager.default.createDirectory(at: debs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        for directory in [fixtures.deletingLastPathComponent(), fixtures, debs, unpacked] { chmod(directory.path, 0o755) }
        return try withLock(fixtures.appendingPathComponent(".lock")) {
            let names = try packageNames()
            let present = try FileManager.default.contentsOfDirectory(atPath: debs.path).filter { $0.hasSuffix(".deb") }
            let missing = names.filter { name in !present.contains { $0.hasPrefix(name + "_") } }
            if !missing.isEmpty {
                let download = try run("apt-get", ["download"] + missing, in: debs)
                guard download.status == 0 else { throw Unavailable(reason: "apt-get download failed: \(download.standardError)") }
            }
            let files = try FileManager.default.contentsOfDirectory(atPath: debs.path)
            return try names.map { name in
                guard let deb = files.first(where: { $0.hasPrefix(name + "_") && $0.hasSuffix(".deb") }) else {
                    throw Unavailable(reason: "\(name) was not downloaded")
                }
                return try unpack(name, deb: debs.appendingPathComponent(deb), into: unpacked)
            }
        }
    }

    /// `apt-cache search --names-only -- '-dkms$'`, without the `dh-dkms` helper.
    private static func packageNames() throws -> [String] {
        let search = try run("apt-cache", ["search", "--names-only", "--", "-dkms$"])
        guard search.status == 0 else { throw Unavailable(reason: "apt-cache search failed: \(search.standardError)") }
        let names = search.standardOutput.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        return Set(names).subtracting(["dh-dkms"]).sorted()
    }

    /// `dpkg -x` into a scratch directory renamed into place, so an interrupted run leaves nothing half unpacked.
    private static func unpack(_ name: String, deb: URL, into unpacked: URL) throws -> Package {
        let target = unpacked.appendingPathComponent(name)
        if !FileManager.default.fileExists(atPath: target.path) {
            let scratch = unpacked.appendingPathComponent(".\(name).partial")
            try? FileManager.default.removeItem(at: scratch)
            let extract = try run("dpkg", ["-x", deb.path, scratch.path])
            guard extract.status == 0 else { throw Unavailable(reason: "dpkg -x \(deb.lastPathComponent): \(extract.standardError)") }
            try makeWorldReadable(scratch)
            try FileManager.default.moveItem(at: scratch, to: target)
        }
        let sources = target.appendingPathComponent("usr/src")
        for entry in try FileManager.default.contentsOfDirectory(atPath: sources.path).sorted() {
            let directory = sources.appendingPathComponent(entry)
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("dkms.conf").path) {
                return Package(name: name, sourceDirectory: directory)
            }
        }
        throw Unavailable(reason: "\(name) has no usr/src/*/dkms.conf")
    }

    /// Directories 0755, files readable by all, so that `nobody` can read the tree (links are left alone).
    private static func makeWorldReadable(_ root: URL) throws {
        chmod(root.path, 0o755)
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return }
        for case let relative as String in walker {
            let path = root.appendingPathComponent(relative).path
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: chmod(path, 0o755)
            case S_IFREG: chmod(path, info.st_mode & 0o7777 | 0o444)
            default: break
            }
        }
    }

    /// Runs `body` holding an exclusive `flock` on `file`, so parallel test processes take turns.
    private static func withLock<T>(_ file: URL, _ body: () throws -> T) throws -> T {
        let descriptor = open(file.path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Unavailable(reason: "cannot open \(file.path)") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw Unavailable(reason: "cannot lock \(file.path)") }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}

import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Every name kmodmgr gives a file or directory on its way into place, in one place, so that what a killed kmodmgr
/// left can be told apart from everything else by its name alone. Each carries the process id of its maker:
///
/// | pattern | made by | where |
/// |---|---|---|
/// | `NAME.tmp-PID` | `AtomicFile.write` (a regular file, renamed over NAME) | state records, journals, re-index markers, displaced backups, staged modules, `manifest.json`, modules placed under `lib/modules` |
/// | `NAME.kmodmgr-PID-N.tmp` | `AtomicFileSet` (a member's new contents; N: attempt) | `lib/modules/<kver>/modules.*` (the index and the parse cache) |
/// | `NAME.kmodmgr-PID-previous` | `AtomicFileSet` (a hard link to the member being replaced) | the same |
/// | `NAME.kmodmgr-tmp-PID` | `Registration` (a source tree copied whole, renamed over NAME) | the source tree (`/usr/src`) |
/// | `STAMP-PID.partial` | a build's result directory before its rename to `STAMP-PID` (the build identifier) | `<name>/<version>/<kver>/<arch>/` in the state tree |
///
/// Names without a process id are only ever made under the state lock (`.stage/<transaction>` — the transaction
/// names carry the pid too — and the build scratch copies under `.build/`): what a previous lock holder left there
/// is known by where it is, not by its name (see `StateTree`).
///
/// `parse` recognises exactly these shapes (a pid of decimal digits without a leading zero, a non-empty NAME) and
/// nothing that merely resembles them; `ownerIsRunning` tells whether the maker may still be at work.
public struct TemporaryName: Sendable, Hashable, CustomStringConvertible {
    /// The shapes above.
    public enum Pattern: Sendable, Hashable, CaseIterable {
        /// `NAME.tmp-PID`
        case file
        /// `NAME.kmodmgr-PID-N.tmp`
        case setMember
        /// `NAME.kmodmgr-PID-previous`
        case setPrevious
        /// `NAME.kmodmgr-tmp-PID`
        case directoryCopy
        /// `STAMP-PID.partial`
        case partialResult
    }

    public let pattern: Pattern
    /// The name the temp file or directory is (or was) renamed to, or stands for (`setPrevious`).
    public let target: String
    /// The process that made it.
    public let pid: Int32
    /// `setMember`'s attempt number (0 otherwise).
    public let attempt: Int

    public init(_ pattern: Pattern, target: String, pid: Int32 = getpid(), attempt: Int = 0) {
        self.pattern = pattern
        self.target = target
        self.pid = pid
        self.attempt = attempt
    }

    /// The name itself.
    public var description: String {
        switch pattern {
        case .file: "\(target).tmp-\(pid)"
        case .setMember: "\(target).kmodmgr-\(pid)-\(attempt).tmp"
        case .setPrevious: "\(target).kmodmgr-\(pid)-previous"
        case .directoryCopy: "\(target).kmodmgr-tmp-\(pid)"
        case .partialResult: "\(target).partial"
        }
    }

    /// The temp path this process uses for `path` (`NAME` is its last component), next to it.
    public static func make(_ pattern: Pattern, for path: FilePath, attempt: Int = 0) -> FilePath {
        let name = TemporaryName(pattern, target: path.lastComponent?.string ?? "", attempt: attempt)
        return path.removingLastComponent().appending(name.description)
    }

    /// The process id in `name` if it is one of kmodmgr's temp names.
    public static func owner(of name: String) -> Int32? { parse(name)?.pid }

    /// `name` read back as one of the patterns, or nil when it is not exactly one of them.
    public static func parse(_ name: String) -> TemporaryName? {
        let bytes = Array(name.utf8)
        if let (head, pid) = split(bytes, before: ".kmodmgr-tmp-") {
            return TemporaryName(.directoryCopy, target: head, pid: pid)
        }
        if let (head, pid) = split(bytes, before: ".tmp-") {
            return TemporaryName(.file, target: head, pid: pid)
        }
        if let body = bytes.withoutSuffix(".partial"), let (stamp, pid) = split(body, before: "-"), isBuildStamp(stamp) {
            return TemporaryName(.partialResult, target: "\(stamp)-\(pid)", pid: pid)
        }
        if let body = bytes.withoutSuffix("-previous"), let (head, pid) = split(body, before: ".kmodmgr-") {
            return TemporaryName(.setPrevious, target: head, pid: pid)
        }
        if let body = bytes.withoutSuffix(".tmp"), let (front, attempt) = split(body, before: "-", zeroAllowed: true),
            let (head, pid) = split(Array(front.utf8), before: ".kmodmgr-")
        {
            return TemporaryName(.setMember, target: head, pid: pid, attempt: Int(attempt))
        }
        return nil
    }

    /// Whether process `pid` may still be working on its temp files: it exists, is not a zombie, and is a kmodmgr
    /// (its command name is `kmodmgr`, or its executable's name is, `kmodmgr (deleted)` once an upgrade replaced it).
    /// When that cannot be told (no `/proc`), it may be.
    /// A pid the kernel does not know, a zombie, or another program that got the pid since, is not.
    public static func ownerIsRunning(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) != 0 && errno == ESRCH { return false }
        guard let stat = readSmallFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")),
            let open = stat.firstIndex(of: UInt8(ascii: "("))
        else { return true }
        let state = stat[(close + 1)...].first { $0 != UInt8(ascii: " ") }
        if state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") { return false }
        let command = String(decoding: stat[(open + 1)..<close], as: UTF8.self)
        if command == "kmodmgr" { return true }
        // The command name is what exec was given (a link's name), or what the process set: the executable decides.
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return false }
        let executable = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let name = executable.split(separator: "/").last ?? ""
        return name == "kmodmgr" || name == "kmodmgr (deleted)"
    }

    /// `HEAD` + `marker` + a number at the end of `bytes`, with a non-empty HEAD and the number in canonical decimal
    /// (no sign, no leading zero, at most 10 digits, fitting an `Int32`; 0 only when `zeroAllowed`).
    private static func split(_ bytes: [UInt8], before marker: String, zeroAllowed: Bool = false) -> (String, Int32)? {
        var digits = 0
        while digits < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[bytes.count - 1 - digits]) {
            digits += 1
        }
        guard (1...10).contains(digits), let number = Int32(String(decoding: bytes[(bytes.count - digits)...], as: UTF8.self)),
            bytes[bytes.count - digits] != UInt8(ascii: "0") || (zeroAllowed && digits == 1)
        else { return nil }
        let markerBytes = Array(marker.utf8)
        let headCount = bytes.count - digits - markerBytes.count
        guard headCount > 0, Array(bytes[headCount..<(bytes.count - digits)]) == markerBytes else { return nil }
        return (String(decoding: bytes[..<headCount], as: UTF8.self), number)
    }

    /// `YYYYMMDDTHHMMSSZ`, as `StateStore.newBuildIdentifier` writes the time.
    private static func isBuildStamp(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return false }
        return (Array(bytes[0..<8]) + Array(bytes[9..<15])).allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// A procfs file's contents (they report no size), up to 4 KiB; nil if it cannot be read.
    private static func readSmallFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return count > 0 ? Array(buffer[..<count]) : nil
    }
}

extension [UInt8] {
    /// These bytes without `suffix`, when they end with it and something comes before it.
    fileprivate func withoutSuffix(_ suffix: String) -> [UInt8]? {
        let tail = Array(suffix.utf8)
        guard count > tail.count, Array(self[(count - tail.count)...]) == tail else { return nil }
        return Array(self[..<(count - tail.count)])
    }
}

/// A temp file or directory of kmodmgr's that its maker left behind.
public struct Leftover: Sendable, Hashable {
    public let path: FilePath
    public let isDirectory: Bool

    public init(path: FilePath, isDirectory: Bool) {
        self.path = path
        self.isDirectory = isDirectory
    }
}

extension TemporaryName {
    /// The entries of `directory` — and, when `recursive`, of the directories below it (never through a symbolic
    /// link, never into a name in `skipping`) — that are provably a kmodmgr temp left behind: named by one of
    /// `patterns`, accepted by `isAbandoned` (which judges the maker's pid, and may look at the target), of the type
    /// that pattern makes (a directory for `directoryCopy` and `partialResult`, else a regular file) and owned by
    /// this process's user, as what kmodmgr creates is.
    public static func leftovers(
        in directory: FilePath, patterns: Set<Pattern>, recursive: Bool = false, skipping: Set<String> = [],
        isAbandoned: (TemporaryName) -> Bool
    ) -> [Leftover] {
        var found = [Leftover]()
        var pending = [directory]
        while let current = pending.popLast() {
            for entry in DirectoryListing.entries(in: current) ?? [] {
                let path = current.appending(entry.name)
                if entry.kind == .symbolicLink || entry.kind == .other { continue }
                if let name = parse(entry.name), patterns.contains(name.pattern) {
                    var info = stat()
                    guard lstat(path.string, &info) == 0 else { continue }
                    let isDirectory = info.st_mode & S_IFMT == S_IFDIR
                    let wantsDirectory = name.pattern == .directoryCopy || name.pattern == .partialResult
                    let rightType = wantsDirectory ? isDirectory : info.st_mode & S_IFMT == S_IFREG
                    if rightType && info.st_uid == geteuid() && isAbandoned(name) {
                        found.append(Leftover(path: path, isDirectory: isDirectory))
                        continue
                    }
                }
                guard recursive, !skipping.contains(entry.name) else { continue }
                // d_type says what most file systems hold; where it cannot, lstat (never through a link).
                var info = stat()
                if entry.kind == .directory
                    || (entry.kind == .unknown && lstat(path.string, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR)
                {
                    pending.append(path)
                }
            }
        }
        return found
    }
}

import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// coreutils' `timeout --verbose` says on standard error when it ends a child ("/usr/bin/timeout: sending signal TERM to
/// command 'make'", and again for the KILL): that line, not its exit status, tells a time-out from a child that
/// failed by itself. In a build's log it stays (the log says what was killed); from captured output it is removed.
enum TimeLimitNotice {
    /// coreutils' `timeout`, which kmodmgr runs a limited child behind.
    static let program: FilePath = "/usr/bin/timeout"
    /// Its lines start with its own name as it was run (`argv[0]`: the path above).
    static let prefix = Array("\(program.string): sending signal ".utf8)

    /// `output` without `timeout`'s lines, and whether there was one. Only looked for when a limit was set.
    static func removed(from output: [UInt8], when limited: Bool) -> ([UInt8], Bool) {
        guard limited, contains(output) else { return (output, false) }
        let lines = output.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let kept = lines.filter { !$0.starts(with: prefix) }
        return (Array(kept.joined(separator: [UInt8(ascii: "\n")])), true)
    }

    /// Whether `timeout`'s line is in what was appended to `log` from `offset` on (its last 64 KiB are read: the
    /// notice comes after whatever the child wrote before it was ended).
    static func appears(in log: FileDescriptor, after offset: off_t) -> Bool {
        let end = lseek(log.rawValue, 0, SEEK_END)
        guard offset >= 0, end > offset else { return false }
        let start = max(offset, end - (64 << 10))
        var bytes = [UInt8](repeating: 0, count: Int(end - start))
        let count = bytes.withUnsafeMutableBytes { pread(log.rawValue, $0.baseAddress, $0.count, start) }
        return count > 0 && contains(bytes[..<count])
    }

    private static func contains(_ bytes: some Collection<UInt8>) -> Bool {
        var atLineStart = true
        var matched = 0
        for byte in bytes {
            if matched > 0 || atLineStart {
                if byte == prefix[matched] {
                    matched += 1
                    if matched == prefix.count { return true }
                    continue
                }
                matched = 0
            }
            atLineStart = byte == UInt8(ascii: "\n")
        }
        return false
    }
}

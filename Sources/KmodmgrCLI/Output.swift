import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// kmodmgr's only way to the terminal: buffered standard output, and one-line diagnostics on standard error.
enum Output {
    /// `-q`: notes are not written (results, warnings and errors are). Set once, while the command line is read.
    private static let quiet = Atomic(false)

    static func setQuiet(_ value: Bool) { quiet.store(value, ordering: .relaxed) }
    static var isQuiet: Bool { quiet.load(ordering: .relaxed) }

    /// Writes `text` to standard output exactly as given (no newline added, NULs kept).
    static func write(_ text: String) {
        print(text, terminator: "")
    }

    /// Writes `bytes` to standard output exactly as given.
    static func write(bytes: [UInt8]) {
        fflush(nil)  // whatever print() buffered goes first
        writeAll(bytes, to: 1)
    }

    /// Writes one already formatted diagnostic line on standard error.
    static func diagnostic(_ line: String) {
        writeError(line + "\n")
    }

    /// Writes `text` on standard error as it is (the progress display's lines and terminal controls).
    static func diagnosticText(_ text: String) {
        writeError(text)
    }

    /// Writes `kmodmgr: error: MESSAGE` on standard error.
    static func error(_ message: String) {
        writeError("kmodmgr: error: \(message)\n")
    }

    /// Writes `kmodmgr: MESSAGE` on standard error (what `-v` adds; standard output stays the command's result).
    static func note(_ message: String) {
        guard !isQuiet else { return }
        writeError("kmodmgr: \(message)\n")
    }

    private static func writeError(_ line: String) {
        writeAll(Array(line.utf8), to: 2)
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// kmodmgr's only way to the terminal: buffered standard output, and one-line diagnostics on standard error.
enum Output {
    /// Writes `text` to standard output exactly as given (no newline added, NULs kept).
    static func write(_ text: String) {
        print(text, terminator: "")
    }

    /// Writes `kmodmgr: error: MESSAGE` on standard error.
    static func error(_ message: String) {
        writeError("kmodmgr: error: \(message)\n")
    }

    /// Writes `kmodmgr: MESSAGE` on standard error (what `-v` adds; standard output stays the command's result).
    static func note(_ message: String) {
        writeError("kmodmgr: \(message)\n")
    }

    private static func writeError(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}

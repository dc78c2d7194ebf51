import Foundation
import TestSupport
import Testing

/// Long work is not silent: on a terminal a live line per running build and results as they finish, then a
/// summary; in a log (no terminal) plain lines only. The terminal is a real pseudo-terminal (util-linux `script`).
@Suite struct ProgressTests {
    @Test func autoinstallShowsLiveBuildsOnATerminalAndPlainLinesElsewhere() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        for package in ["hello-1.0", "multi-2.0", "broken-1.0"] { try root.kmodmgr("add", [testPackage(package)]) }

        let command = [try kmodmgrBinary(), "autoinstall", "--root", root.path, "-k", kernel].map(shellQuote).joined(separator: " ")
        let terminal = try run("/usr/bin/script", ["-qefc", command, "/dev/null"], environment: ["TERM": "xterm", "COLUMNS": "120"])
        let screen = terminal.standardOutput
        #expect(terminal.status == 11, "broken fails the autoinstall: \(screen)")
        #expect(screen.contains("\u{1B}["), "no terminal control: \(screen)")
        #expect(screen.contains("building hello/1.0 for \(kernel), "), "no live line: \(screen)")
        #expect(screen.contains("2 installed, 0 skipped, 1 failed: broken/1.0 (\(kernel))"), "\(screen)")

        try root.kmodmgr("unbuild", ["--all-packages", "-k", kernel])
        let log = try root.kmodmgr("autoinstall", ["-k", kernel])
        #expect(!log.standardOutput.contains("\u{1B}") && !log.standardError.contains("\u{1B}"))
        let lines = log.standardOutput.split(separator: "\n")
        #expect(lines.last == "2 installed, 0 skipped, 1 failed: broken/1.0 (\(kernel))", "\(log.standardOutput)")
        #expect(lines.count == 3, "a result line per package, then the summary: \(log.standardOutput)")
    }

    private func shellQuote(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

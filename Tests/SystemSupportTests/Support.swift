import Foundation
import SystemPackage
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

extension TemporaryDirectory {
    /// The directory as a `FilePath`.
    var filePath: FilePath { FilePath(url.path) }

    /// `component` below the directory as a `FilePath`.
    func filePath(_ component: String) -> FilePath { filePath.appending(component) }
}

/// Writes `text` to `path`, creating or replacing it.
func writeText(_ text: String, to path: FilePath) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path.string))
}

func readText(_ path: FilePath) throws -> String {
    String(decoding: try Data(contentsOf: URL(fileURLWithPath: path.string)), as: UTF8.self)
}

/// `lstat` of `path`, or nil.
func linkStatus(_ path: FilePath) -> stat? {
    var info = stat()
    return lstat(path.string, &info) == 0 ? info : nil
}

/// A long-running `/bin/sh -c script` child that prints `ready` once it has done what the test needs (taken a
/// lock, say); killed with SIGKILL and reaped when the value goes away or on `kill()`.
final class ReadyChild: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()

    /// Starts `script` with `arguments` as `$1…` and waits (up to 10 s) for its `ready` line.
    init(_ script: String, _ arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, "sh"] + arguments
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(10)
        while !seen.contains("ready\n") && Date() < deadline {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
        }
        guard seen.contains("ready\n") else {
            kill()
            throw NotReady(output: seen)
        }
    }

    var pid: Int32 { process.processIdentifier }

    /// SIGKILL and wait for it to be gone (its locks are released by the kernel by then).
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { kill() }

    struct NotReady: Error, CustomStringConvertible {
        let output: String
        var description: String { "the child never said ready; it printed: \(output)" }
    }
}

/// Whether process `pid` is gone (or a zombie nobody reaped yet), waiting up to `seconds` for it.
func processEnds(_ pid: Int32, within seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if Glibc.kill(pid, 0) != 0 && errno == ESRCH { return true }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")"),
            stat[stat.index(close, offsetBy: 2)] == "Z"
        {
            return true
        }
        usleep(20_000)
    } while Date() < deadline
    return false
}

import Foundation

/// The result of running a real program.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: Data
    public let stderr: Data
    /// Whether the process was ended by a signal (`status` is then the signal's number).
    public var signaled = false
    /// Whether the process outlived the time limit it was run with and was killed for it.
    public var timedOut = false

    public var standardOutput: String { String(decoding: stdout, as: UTF8.self) }
    public var standardError: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs `executable` with `arguments` and collects its output (both pipes drained concurrently, so a chatty
/// program cannot deadlock the test).
///
/// With a `timeLimit`, a process still running after it is killed (SIGKILL) and the result says `timedOut`: the
/// bound of a test that must not hang. It counts from the process's start, unlike Swift Testing's `.timeLimit`,
/// which counts from the test's start and so also counts the minutes a test waits for a thread in the full
/// parallel suite on a small machine.
@discardableResult
public func run(
    _ executable: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
    timeLimit: Duration? = nil
) throws -> ProcessResult {
    let process = Process()
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : try which(executable))
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let timedOut = Mutexed(false)
    if let timeLimit {
        let pid = process.processIdentifier
        let seconds = Double(timeLimit.components.seconds) + Double(timeLimit.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [process] in
            guard process.isRunning else { return }
            timedOut.update { $0 = true }
            kill(pid, SIGKILL)
        }
    }
    let group = DispatchGroup()
    nonisolated(unsafe) var errorData = Data()
    group.enter()
    DispatchQueue.global().async {
        errorData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outputData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    var result = ProcessResult(status: process.terminationStatus, stdout: outputData, stderr: errorData)
    result.signaled = process.terminationReason == .uncaughtSignal
    result.timedOut = timedOut.value
    return result
}

/// The full path of a program on `PATH` (plus the sbin directories, where modinfo and depmod live).
public func which(_ name: String) throws -> String {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw MissingProgram(name: name)
}

public struct MissingProgram: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "program '\(name)' not found: scripts/setup installs it" }
}

/// A directory that exists for one test and is removed afterwards.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    public init() throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).standardizedFileURL.path
        var template = Array((base + "/kmodmgr-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        url = URL(fileURLWithPath: String(cString: made))
    }

    public func path(_ component: String) -> URL { url.appendingPathComponent(component) }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A value that several threads (termination handlers, timers) update.
public final class Mutexed<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    public init(_ value: Value) { stored = value }
    public func update(_ change: (inout Value) -> Void) { lock.withLock { change(&stored) } }
    public var value: Value { lock.withLock { stored } }
}

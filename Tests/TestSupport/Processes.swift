import Foundation

/// The result of running a real program.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: Data
    public let stderr: Data
    /// Whether the process was ended by a signal (`status` is then the signal's number).
    public var signaled = false

    public var standardOutput: String { String(decoding: stdout, as: UTF8.self) }
    public var standardError: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs `executable` with `arguments` and collects its output (both pipes drained concurrently, so a chatty
/// program cannot deadlock the test).
@discardableResult
public func run(
    _ executable: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]
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

import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A build could not be run or logged at all (a failing step is not an error: it is in the `BuildLog`).
public enum BuildRunnerError: Error, Sendable, CustomStringConvertible {
    case log(SystemError)
    case launch(ProcessLaunchError)

    public var description: String {
        switch self {
        case .log(let error): error.description
        case .launch(let error): error.description
        }
    }
}

/// Runs a `BuildPlan` step by step into one log file: a header, then per step the command line, who ran it, its
/// full output (stdout and stderr interleaved as they came) and how it ended, with times.
public enum BuildRunner {
    public static func run(_ plan: BuildPlan, logFile: FilePath) async throws(BuildRunnerError) -> BuildLog {
        let clock = ContinuousClock()
        let start = clock.now
        let log: FileDescriptor
        do {
            log = try FileDescriptor.open(
                logFile, .readWrite, options: [.create, .truncate, .append, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw .log(SystemError("create", path: logFile, errno: (error as? Errno) ?? .ioError))
        }
        defer { try? log.close() }
        var outcomes = [StepOutcome]()
        try write(plan.header.map { "# \($0)" }.joined(separator: "\n") + "\n", to: log, file: logFile)
        for step in plan.steps {
            let who = step.request.identity.map { " (as uid \($0.userID))" } ?? ""
            try write(
                "\n## \(step.name): \(step.request.commandLine)\n## in \(step.request.workingDirectory)\(who)\n", to: log,
                file: logFile)
            var request = step.request
            if let limit = plan.timeLimit {
                // What is left of the build's limit (at least a second: `timeout` counts whole seconds).
                let left = limit - (clock.now - start)
                request.timeLimit = min(request.timeLimit ?? left, max(left, .seconds(1)))
            }
            let finished: LoggedProcess
            do {
                finished = try await ProcessRunner.run(request, appendingOutputTo: log)
            } catch {
                throw .launch(error)
            }
            var termination = finished.termination
            if case .timedOut = termination, step.request.timeLimit == nil, let limit = plan.timeLimit {
                termination = .timedOut(limit)  // the build's limit ran out during this step
            }
            let outcome = StepOutcome(
                name: step.name, commandLine: step.request.commandLine, termination: termination, elapsed: finished.elapsed)
            outcomes.append(outcome)
            // The step's output may not end with a newline: the status line starts on a line of its own.
            let separator = endsWithNewline(log) ? "" : "\n"
            try write(
                "\(separator)## \(step.name): \(termination) after \(finished.elapsed.secondsText) s\n", to: log, file: logFile)
            if !termination.succeeded { break }
        }
        fsync(log.rawValue)
        return BuildLog(outcomes: outcomes, logFile: logFile, elapsed: clock.now - start)
    }

    /// The last `count` lines of a log, for an error message that shows the compiler's complaint.
    public static func tail(of logFile: FilePath, lines count: Int) -> [String] {
        guard let bytes = try? FileBytes.read(logFile) else { return [] }
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
            .filter { !$0.hasPrefix("## ") }
        if lines.last == "" { lines.removeLast() }  // what follows the log's last newline
        return Array(lines.drop(while: { $0.isEmpty }).suffix(count))
    }

    /// Whether the file behind `log` (opened for reading too) is empty or ends with a newline.
    private static func endsWithNewline(_ log: FileDescriptor) -> Bool {
        let size = lseek(log.rawValue, 0, SEEK_END)
        guard size > 0 else { return true }
        var last: UInt8 = 0
        return pread(log.rawValue, &last, 1, size - 1) == 1 ? last == UInt8(ascii: "\n") : true
    }

    private static func write(_ text: String, to log: FileDescriptor, file: FilePath) throws(BuildRunnerError) {
        do {
            _ = try log.writeAll(Array(text.utf8))
        } catch {
            throw .log(SystemError("write", path: file, errno: (error as? Errno) ?? .ioError))
        }
    }
}

import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The user and group a child process runs as, after dropping every supplementary group.
public struct ProcessIdentity: Sendable, Hashable {
    public let userID: UInt32
    public let groupID: UInt32

    public init(userID: UInt32, groupID: UInt32) {
        self.userID = userID
        self.groupID = groupID
    }

    /// The account named `name` in the password database, or nil when there is none.
    public static func account(named name: String) -> ProcessIdentity? {
        guard let entry = getpwnam(name) else { return nil }
        return ProcessIdentity(userID: entry.pointee.pw_uid, groupID: entry.pointee.pw_gid)
    }

    /// Whether this process may switch to another user (it runs as root).
    public static var canSwitchUser: Bool { geteuid() == 0 }
}

/// One process to run, as a value: what kmodmgr logs is exactly what it ran.
public struct ProcessRequest: Sendable, Hashable {
    /// An absolute path: no `PATH` search happens in kmodmgr itself.
    public var executable: FilePath
    public var arguments: [String]
    /// The complete environment of the child; nothing is inherited from kmodmgr's own.
    public var environment: [String: String]
    public var workingDirectory: FilePath
    /// Who the child runs as; nil keeps kmodmgr's own identity.
    public var identity: ProcessIdentity?
    /// After this long the child and everything it started are killed (through coreutils' `timeout`, which signals
    /// its whole process group).
    public var timeLimit: Duration?
    /// The namespaces the child runs in, when kmodmgr is root (see `Sandbox`); nil: none.
    public var sandbox: Sandbox?

    public init(
        executable: FilePath, arguments: [String] = [], environment: [String: String] = [:], workingDirectory: FilePath,
        identity: ProcessIdentity? = nil, timeLimit: Duration? = nil, sandbox: Sandbox? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.identity = identity
        self.timeLimit = timeLimit
        self.sandbox = sandbox
    }

    /// The command line as a shell would show it, for logs.
    public var commandLine: String {
        ([executable.string] + arguments).map(shellQuoted).joined(separator: " ")
    }
}

/// How a child process ended.
public enum ProcessTermination: Sendable, Hashable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)
    case timedOut(Duration)

    public var succeeded: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signalled(let signal): "killed by signal \(signal)\(signalName(signal).map { " (\($0))" } ?? "")"
        case .timedOut(let limit): "killed after the time limit of \(limit.components.seconds) s"
        }
    }
}

/// What a finished child produced when its output was captured.
public struct CapturedProcess: Sendable {
    public let termination: ProcessTermination
    public let standardOutput: [UInt8]
    public let standardError: [UInt8]
    public let elapsed: Duration
}

/// What a finished child left when its output went to a file.
public struct LoggedProcess: Sendable {
    public let termination: ProcessTermination
    public let elapsed: Duration
}

/// A child process could not be started at all (as opposed to one that ran and failed).
public struct ProcessLaunchError: Error, Sendable, CustomStringConvertible {
    public let commandLine: String
    public let reason: String

    public var description: String { "cannot run '\(commandLine)': \(reason)" }
}

/// Runs child processes through swift-subprocess: the one place kmodmgr starts a program.
public enum ProcessRunner {
    /// Runs `request` with stdin empty, capturing stdout and stderr separately, each up to `limit` bytes.
    public static func capture(_ request: ProcessRequest, limit: Int = 16 << 20) async throws(ProcessLaunchError)
        -> CapturedProcess
    {
        let clock = ContinuousClock()
        let start = clock.now
        let input = try standardInput(for: request)
        defer { input.close() }
        do {
            let result = try await Subprocess.run(
                configuration(request), input: .fileDescriptor(input.childEnd, closeAfterSpawningProcess: true),
                output: .bytes(limit: limit), error: .bytes(limit: limit))
            let (standardError, limitReached) = TimeLimitNotice.removed(from: result.standardError, when: request.timeLimit != nil)
            return CapturedProcess(
                termination: termination(result.terminationStatus, request, limitReached: limitReached),
                standardOutput: result.standardOutput, standardError: standardError, elapsed: clock.now - start)
        } catch {
            throw ProcessLaunchError(commandLine: request.commandLine, reason: "\(error)")
        }
    }

    /// Runs `request` with stdin empty, its stdout and stderr both appended to `log` as they come.
    public static func run(_ request: ProcessRequest, appendingOutputTo log: FileDescriptor) async throws(ProcessLaunchError)
        -> LoggedProcess
    {
        let clock = ContinuousClock()
        let start = clock.now
        let logStart = lseek(log.rawValue, 0, SEEK_END)
        let input = try standardInput(for: request)
        defer { input.close() }
        do {
            let result = try await Subprocess.run(
                configuration(request), input: .fileDescriptor(input.childEnd, closeAfterSpawningProcess: true),
                output: .fileDescriptor(log, closeAfterSpawningProcess: false), error: .combinedWithOutput)
            let limitReached = request.timeLimit != nil && TimeLimitNotice.appears(in: log, after: logStart)
            return LoggedProcess(
                termination: termination(result.terminationStatus, request, limitReached: limitReached), elapsed: clock.now - start)
        } catch {
            throw ProcessLaunchError(commandLine: request.commandLine, reason: "\(error)")
        }
    }

    /// The child's stdin and, for a sandboxed step, the write end of its lifeline.
    private struct StandardInput {
        /// What the child reads: `/dev/null`, or the lifeline's read end (closed once the child is spawned).
        let childEnd: FileDescriptor
        /// Held by kmodmgr alone (close-on-exec) until the child has ended; when kmodmgr dies the kernel closes
        /// it, and the sandbox's watcher sees end of file and ends the step (see `Sandbox`).
        let lifeline: FileDescriptor?

        func close() { try? lifeline?.close() }
    }

    private static func standardInput(for request: ProcessRequest) throws(ProcessLaunchError) -> StandardInput {
        guard request.sandbox != nil, geteuid() == 0 else {
            do {
                return StandardInput(childEnd: try FileDescriptor.open("/dev/null", .readOnly, options: .closeOnExec), lifeline: nil)
            } catch {
                throw ProcessLaunchError(commandLine: request.commandLine, reason: "cannot open /dev/null: \(error)")
            }
        }
        // swift-subprocess closes every descriptor past stderr in its children, so no other child holds the
        // lifeline; close-on-exec is there for any program started otherwise.
        do {
            let ends = try FileDescriptor.pipe()
            _ = fcntl(ends.writeEnd.rawValue, F_SETFD, FD_CLOEXEC)
            return StandardInput(childEnd: ends.readEnd, lifeline: ends.writeEnd)
        } catch {
            throw ProcessLaunchError(commandLine: request.commandLine, reason: "cannot make a pipe: \(error)")
        }
    }

    /// util-linux's `setpriv` drops to another identity right before exec. swift-subprocess can do that itself, but
    /// only by forking the (multi-threaded) kmodmgr process, and a fork taken while another thread holds a lock can
    /// hang the child; `posix_spawn` of `setpriv` cannot.
    private static let setprivProgram: FilePath = "/usr/bin/setpriv"

    /// The argv actually spawned: the request's, behind `setpriv` for another identity, `unshare` for a sandbox and
    /// `timeout` for a limit (outermost, so that it ends the namespace too).
    private static func spawnedCommand(_ request: ProcessRequest) -> (FilePath, [String]) {
        var executable = request.executable
        var arguments = request.arguments
        if let identity = request.identity {
            arguments =
                ["--reuid=\(identity.userID)", "--regid=\(identity.groupID)", "--clear-groups", "--", executable.string] + arguments
            executable = setprivProgram
        }
        if let sandbox = request.sandbox, geteuid() == 0 {
            arguments = sandbox.arguments() + [executable.string] + arguments
            executable = Sandbox.unshareProgram
        }
        if let limit = request.timeLimit {
            let seconds = max(1, limit.components.seconds)
            arguments = ["--verbose", "--kill-after=2", String(seconds), executable.string] + arguments
            executable = TimeLimitNotice.program
        }
        return (executable, arguments)
    }

    /// What swift-subprocess spawns for `request`: the wrapped argv, exactly the request's environment, its directory.
    private static func configuration(_ request: ProcessRequest) -> Configuration {
        let (executable, arguments) = spawnedCommand(request)
        let environment = Dictionary(uniqueKeysWithValues: request.environment.map { (Environment.Key(rawValue: $0.key)!, $0.value) })
        return Configuration(
            executable: .path(executable), arguments: Arguments(arguments), environment: .custom(environment),
            workingDirectory: request.workingDirectory)
    }

    /// How the child ended. Whether the limit was reached is `timeout`'s own word (`TimeLimitNotice`), not its
    /// exit status: it exits 124 or 137 when it ends the child, but a child can exit 124 or 137 by itself (a
    /// compiler the OOM killer ended under `sh`), and when `timeout` kills the whole process group it dies with it.
    private static func termination(_ status: TerminationStatus, _ request: ProcessRequest, limitReached: Bool)
        -> ProcessTermination
    {
        if limitReached, let limit = request.timeLimit { return .timedOut(limit) }
        switch status {
        case .exited(let code): return .exited(code)
        case .signaled(let signal): return .signalled(signal)
        }
    }
}

/// `word` quoted for a POSIX shell when it needs it, so that logged command lines can be pasted back.
public func shellQuoted(_ word: String) -> String {
    let plain = word.utf8.allSatisfy { byte in
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: ":"),
            UInt8(ascii: ","), UInt8(ascii: "+"), UInt8(ascii: "@"), UInt8(ascii: "%"):
            true
        default: false
        }
    }
    if plain && !word.isEmpty { return word }
    return "'" + word.replacingAll("'", with: "'\\''") + "'"
}

private func signalName(_ signal: Int32) -> String? {
    guard let name = strsignal(signal) else { return nil }
    return String(cString: name)
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}

import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `ProcessRunner`: real children, their exit, signals, time limits, environment, identity and output.
@Suite struct ProcessRunnerTests {
    static func shell(_ script: String, _ arguments: [String] = [], in directory: FilePath = "/", timeLimit: Duration? = nil)
        -> ProcessRequest
    {
        ProcessRequest(
            executable: "/bin/sh", arguments: ["-c", script, "sh"] + arguments, workingDirectory: directory, timeLimit: timeLimit)
    }

    /// Exit status and both streams, captured separately and byte for byte (binary output included).
    @Test func exitStatusAndOutputAreCaptured() async throws {
        let result = try await ProcessRunner.capture(Self.shell(#"printf 'out\n\000\377'; echo err >&2; exit 3"#))
        #expect(result.termination == .exited(3))
        #expect(!result.termination.succeeded)
        #expect(result.termination.description == "exit status 3")
        #expect(result.standardOutput == Array("out\n".utf8) + [0, 0xFF])
        #expect(result.standardError == Array("err\n".utf8))

        let success = try await ProcessRunner.capture(Self.shell("true"))
        #expect(success.termination == .exited(0) && success.termination.succeeded)
        #expect(success.standardOutput.isEmpty && success.standardError.isEmpty)
    }

    /// A child killed by a signal is `.signalled`, described with the signal's name.
    @Test func aSignalIsReported() async throws {
        let result = try await ProcessRunner.capture(Self.shell("kill -TERM $$; sleep 5"))
        #expect(result.termination == .signalled(SIGTERM))
        #expect(result.termination.description == "killed by signal 15 (Terminated)")
    }

    /// The environment is exactly the request's — nothing of the test process's (no PATH, no HOME) — and the
    /// child runs in the working directory given, with stdin empty.
    @Test func environmentAndDirectoryAreExactlyTheRequests() async throws {
        let scratch = try TemporaryDirectory()
        let request = ProcessRequest(
            executable: "/usr/bin/env", environment: ["KMODMGR_A": "1", "WITH SPACE": "x y", "EMPTY": ""],
            workingDirectory: scratch.filePath)
        let result = try await ProcessRunner.capture(request)
        let lines = String(decoding: result.standardOutput, as: UTF8.self).split(separator: "\n").map(String.init).sorted()
        #expect(lines == ["EMPTY=", "KMODMGR_A=1", "WITH SPACE=x y"])

        let place = try await ProcessRunner.capture(Self.shell("pwd; cat; echo end", in: scratch.filePath))
        #expect(String(decoding: place.standardOutput, as: UTF8.self) == scratch.filePath.string + "\nend\n")
    }

    /// The time limit kills the child *and what it started* (the whole process group): a grandchild `sleep` is
    /// gone too, and the run ends as `.timedOut` long before the sleep would have.
    @Test func theTimeLimitKillsTheWholeProcessGroup() async throws {
        let scratch = try TemporaryDirectory()
        let pidFile = scratch.filePath("grandchild")
        let result = try await ProcessRunner.capture(
            Self.shell(#"sleep 30 & echo $! >"$1"; wait"#, [pidFile.string], timeLimit: .seconds(1)))
        #expect(result.termination == .timedOut(.seconds(1)))
        #expect(result.termination.description == "killed after the time limit of 1 s")
        // No upper bound on wall time: in the full suite, tests that block the cooperative threads can delay this
        // task's resumption by minutes; the grandchild's end below is what proves the group was killed.
        #expect(result.elapsed >= .milliseconds(900), "\(result.elapsed)")
        #expect(!result.standardError.contains(UInt8(ascii: "t")), "timeout's notice is removed from captured output")
        let grandchild = try #require(Int32(try readText(pidFile).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(processEnds(grandchild, within: 5), "the grandchild sleep (pid \(grandchild)) survived the time limit")

        let quick = try await ProcessRunner.capture(Self.shell("echo fine", timeLimit: .seconds(20)))
        #expect(quick.termination == .exited(0) && quick.standardOutput == Array("fine\n".utf8))
    }

    /// A child that ignores SIGTERM is killed with SIGKILL two seconds after the limit: still a time-out, although
    /// coreutils' `timeout` sends that SIGKILL to its whole process group, itself included (found by this test).
    @Test func aChildIgnoringTermStillTimesOut() async throws {
        let result = try await ProcessRunner.capture(Self.shell(#"trap "" TERM; sleep 30"#, timeLimit: .seconds(1)))
        #expect(result.termination == .timedOut(.seconds(1)))
    }

    /// A child that exits 137 (or 124) by itself, well inside its limit, failed on its own — e.g. a compiler killed
    /// by the OOM killer under `sh`: not a time-out, whatever `timeout` uses those statuses for (found by this test).
    @Test func anOwnExitOf137IsNotATimeOut() async throws {
        let result = try await ProcessRunner.capture(Self.shell("exit 137", timeLimit: .seconds(60)))
        #expect(result.termination == .exited(137))

        let unlimited = try await ProcessRunner.capture(Self.shell("exit 137"))
        #expect(unlimited.termination == .exited(137))
    }

    /// Output up to the limit is captured whole; beyond it the run is an error (not silently truncated), even for a
    /// child that would write forever.
    @Test func outputIsLimited() async throws {
        let exact = try await ProcessRunner.capture(Self.shell("head -c 4096 /dev/zero"), limit: 4096)
        #expect(exact.standardOutput == [UInt8](repeating: 0, count: 4096))

        let endless = await #expect(throws: ProcessLaunchError.self) {
            _ = try await ProcessRunner.capture(Self.shell("yes"), limit: 4096)
        }
        #expect(endless?.commandLine == "/bin/sh -c yes sh")
        #expect(endless?.description.contains("4096") == true, "\(String(describing: endless))")
    }

    /// Appending to a log: stdout and stderr interleaved in the order written, after what the file already held.
    @Test func outputAppendedToALogKeepsItsOrder() async throws {
        let scratch = try TemporaryDirectory()
        let log = try FileDescriptor.open(
            scratch.filePath("log"), .writeOnly, options: [.create, .append], permissions: [.ownerReadWrite])
        defer { try? log.close() }
        _ = try log.writeAll(Array("before\n".utf8))
        let result = try await ProcessRunner.run(
            Self.shell("echo one; echo two >&2; echo three; exit 2"), appendingOutputTo: log)
        #expect(result.termination == .exited(2))
        #expect(try readText(scratch.filePath("log")) == "before\none\ntwo\nthree\n")
    }

    /// A program that does not exist is a launch error naming the command line, not a failed run.
    @Test func aMissingProgramIsALaunchError() async throws {
        let request = ProcessRequest(executable: "/nonexistent/tool", arguments: ["a b"], workingDirectory: "/")
        let error = await #expect(throws: ProcessLaunchError.self) { _ = try await ProcessRunner.capture(request) }
        #expect(error?.commandLine == "/nonexistent/tool 'a b'")
        #expect(error?.description.hasPrefix("cannot run '/nonexistent/tool 'a b'': ") == true)
    }

    /// With an identity, the child runs as that user and group with no supplementary groups (root needed).
    @Test(.enabled(if: ProcessIdentity.canSwitchUser, "switching user needs root"))
    func anIdentityIsTakenOnWithNoOtherGroups() async throws {
        let nobody = try #require(ProcessIdentity.account(named: "nobody"))
        #expect(ProcessIdentity.account(named: "no-such-user-kmodmgr") == nil)
        var request = Self.shell("id -u; id -g; id -G")
        request.identity = nobody
        let result = try await ProcessRunner.capture(request)
        #expect(result.termination == .exited(0), "\(String(decoding: result.standardError, as: UTF8.self))")
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "\(nobody.userID)\n\(nobody.groupID)\n\(nobody.groupID)\n")
    }

    /// Logged command lines are shell-quoted so that pasting them back gives the same words: checked by having
    /// `sh` split them again.
    @Test func commandLinesQuoteForTheShell() async throws {
        let words = ["plain-word_1.2/x=y:z,+@%", "two words", "it's", "", "$HOME", "a\"b", "back\\slash", "new\nline", "*"]
        #expect(shellQuoted("plain-word_1.2/x=y:z,+@%") == "plain-word_1.2/x=y:z,+@%")
        #expect(shellQuoted("it's") == #"'it'\''s'"#)
        #expect(shellQuoted("") == "''")
        let request = ProcessRequest(executable: "/usr/bin/printf", arguments: ["[%s]"] + words, workingDirectory: "/")
        let echoed = try await ProcessRunner.capture(Self.shell(#"eval "$1""#, [request.commandLine]))
        #expect(String(decoding: echoed.standardOutput, as: UTF8.self) == words.map { "[\($0)]" }.joined())
    }
}

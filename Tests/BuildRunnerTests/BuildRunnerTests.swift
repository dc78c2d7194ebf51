import BuildRunner
import Foundation
import Synchronization
import SystemPackage
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `BuildRunner`: real build plans run into a real log.
@Suite struct BuildRunnerTests {
    static func step(_ name: String, _ script: String, in directory: FilePath, timeLimit: Duration? = nil) -> BuildStep {
        BuildStep(
            name: name,
            request: ProcessRequest(
                executable: "/bin/sh", arguments: ["-c", script], environment: ["LC_ALL": "C"], workingDirectory: directory,
                timeLimit: timeLimit))
    }

    static func text(_ path: FilePath) throws -> String {
        String(decoding: try FileBytes.read(path), as: UTF8.self)
    }

    /// A passing plan: the header lines, then per step its command line, directory, output (stdout and stderr
    /// interleaved as written) and how it ended — in that order, each step after the previous one.
    @Test func aPlanIsLoggedInFull() async throws {
        let scratch = try TemporaryDirectory()
        let work = FilePath(scratch.url.path)
        let plan = BuildPlan(
            header: ["package hello 1.0", "kernel 6.1.0-57-amd64 (x86_64)"],
            steps: [
                Self.step("PRE_BUILD", "echo prepared > marker; echo to-stdout; echo to-stderr >&2; echo again", in: work),
                Self.step("make", "cat marker; printf 'no newline at the end\\n'", in: work),
            ])
        let logFile = work.appending("build.log")
        let log = try await BuildRunner.run(plan, logFile: logFile)
        #expect(log.succeeded && log.failedStep == nil)
        #expect(log.outcomes.map(\.name) == ["PRE_BUILD", "make"])
        #expect(log.outcomes.allSatisfy { $0.termination == .exited(0) })
        #expect(log.outcomes[0].commandLine == "/bin/sh -c 'echo prepared > marker; echo to-stdout; echo to-stderr >&2; echo again'")
        #expect(log.logFile == logFile)
        #expect(log.elapsed >= log.outcomes[0].elapsed + log.outcomes[1].elapsed)

        let lines = try Self.text(logFile).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let expected = [
            "# package hello 1.0",
            "# kernel 6.1.0-57-amd64 (x86_64)",
            "",
            "## PRE_BUILD: /bin/sh -c 'echo prepared > marker; echo to-stdout; echo to-stderr >&2; echo again'",
            "## in \(work)",
            "to-stdout",
            "to-stderr",
            "again",
            "## PRE_BUILD: exit status 0 after <time> s",
            "",
            "## make: /bin/sh -c 'cat marker; printf '\\''no newline at the end\\n'\\'''",
            "## in \(work)",
            "prepared",
            "no newline at the end",
            "## make: exit status 0 after <time> s",
            "",
        ]
        #expect(lines.map(Self.maskTime) == expected)
    }

    /// A failing step stops the build: later steps never run; the failure is `failedStep`, logged with its status.
    @Test func aFailingStepStopsTheBuild() async throws {
        let scratch = try TemporaryDirectory()
        let work = FilePath(scratch.url.path)
        let plan = BuildPlan(
            header: ["package hello"],
            steps: [
                Self.step("configure", "echo ok", in: work),
                Self.step("make", "echo 'hello.c:3: error: expected ;' >&2; exit 2", in: work),
                Self.step("POST_BUILD", "touch post-build-ran", in: work),
            ])
        let log = try await BuildRunner.run(plan, logFile: work.appending("build.log"))
        #expect(!log.succeeded)
        #expect(log.outcomes.map(\.name) == ["configure", "make"])
        #expect(log.failedStep?.name == "make")
        #expect(log.failedStep?.termination == .exited(2))
        #expect(!FileTree.exists(work.appending("post-build-ran")))
        let text = try Self.text(work.appending("build.log"))
        #expect(text.contains("hello.c:3: error: expected ;\n## make: exit status 2 after "))
        #expect(!text.contains("POST_BUILD"))
        #expect(BuildRunner.tail(of: work.appending("build.log"), lines: 1) == ["hello.c:3: error: expected ;"])
    }

    /// A step past its time limit is killed and fails the build as a time-out; a step killed by a signal fails
    /// it as that signal.
    @Test func timeLimitsAndSignalsFailTheBuild() async throws {
        let scratch = try TemporaryDirectory()
        let work = FilePath(scratch.url.path)
        let slow = try await BuildRunner.run(
            BuildPlan(header: [], steps: [Self.step("make", "echo started; sleep 30", in: work, timeLimit: .seconds(1))]),
            logFile: work.appending("slow.log"))
        #expect(slow.failedStep?.termination == .timedOut(.seconds(1)))
        let slowLog = try Self.text(work.appending("slow.log"))
        #expect(slowLog.contains("started\n/usr/bin/timeout: sending signal TERM to command "), "the log says what was killed: \(slowLog)")
        #expect(slowLog.contains("\n## make: killed after the time limit of 1 s after "), "\(slowLog)")

        let killed = try await BuildRunner.run(
            BuildPlan(header: [], steps: [Self.step("make", "kill -SEGV $$", in: work)]), logFile: work.appending("killed.log"))
        #expect(killed.failedStep?.termination == .signalled(SIGSEGV))
    }

    /// A step run as another user says so in the log and really runs as that user (root needed to switch).
    @Test(.enabled(if: ProcessIdentity.canSwitchUser, "switching user needs root"))
    func aStepRunAsAnotherUser() async throws {
        let scratch = try TemporaryDirectory()
        chmod(scratch.url.path, 0o755)
        let work = FilePath(scratch.url.path)
        let nobody = try #require(ProcessIdentity.account(named: "nobody"))
        var request = Self.step("make", "id -u", in: work).request
        request.identity = nobody
        let log = try await BuildRunner.run(
            BuildPlan(header: [], steps: [BuildStep(name: "make", request: request)]), logFile: work.appending("log"))
        #expect(log.succeeded)
        #expect(try Self.text(work.appending("log")).contains("## in \(work) (as uid \(nobody.userID))\n\(nobody.userID)\n"))
    }

    /// Running a plan again replaces the log; a log that cannot be created and a program that cannot be started
    /// are errors (not failed steps), naming what went wrong.
    @Test func logsAreReplacedAndErrorsAreTyped() async throws {
        let scratch = try TemporaryDirectory()
        let work = FilePath(scratch.url.path)
        let logFile = work.appending("build.log")
        _ = try await BuildRunner.run(BuildPlan(header: ["first"], steps: [Self.step("a", "echo first run", in: work)]), logFile: logFile)
        _ = try await BuildRunner.run(BuildPlan(header: ["second"], steps: []), logFile: logFile)
        #expect(try Self.text(logFile) == "# second\n")

        let unloggable = await #expect(throws: BuildRunnerError.self) {
            _ = try await BuildRunner.run(BuildPlan(header: [], steps: []), logFile: work.appending("absent/build.log"))
        }
        guard case .log(let logError) = unloggable else {
            Issue.record("expected a log error, got \(String(describing: unloggable))")
            return
        }
        #expect(logError.path == work.appending("absent/build.log") && logError.errno == .noSuchFileOrDirectory)

        let missing = BuildStep(name: "make", request: ProcessRequest(executable: "/nonexistent/make", workingDirectory: work))
        let unlaunchable = await #expect(throws: BuildRunnerError.self) {
            _ = try await BuildRunner.run(BuildPlan(header: [], steps: [missing]), logFile: logFile)
        }
        guard case .launch(let launchError) = unlaunchable else {
            Issue.record("expected a launch error, got \(String(describing: unlaunchable))")
            return
        }
        #expect(launchError.commandLine == "/nonexistent/make")
    }

    /// `tail` gives the last lines of output, without the runner's `##` lines or leading blank lines; a missing
    /// log has no tail.
    @Test func tailShowsTheLastOutputLines() throws {
        let scratch = try TemporaryDirectory()
        let file = FilePath(scratch.url.path).appending("log")
        let log = "# header\n\n## make: make -C /x\n## in /x\nline 1\nline 2\nline 3\n## make: exit status 2 after 1.00 s\n"
        try AtomicFile.write(Array(log.utf8), to: file)
        #expect(BuildRunner.tail(of: file, lines: 2) == ["line 2", "line 3"])
        #expect(BuildRunner.tail(of: file, lines: 3) == ["line 1", "line 2", "line 3"])
        #expect(BuildRunner.tail(of: FilePath(scratch.url.path).appending("absent"), lines: 5) == [])
    }

    /// `tail` of a log shorter than asked for has no empty last "line", and a log that does not end in a newline (a
    /// build killed mid-line) keeps its real last line. (Both were wrong before: found by this test.)
    @Test func tailOfShortAndUnterminatedLogs() throws {
        let scratch = try TemporaryDirectory()
        let short = FilePath(scratch.url.path).appending("short")
        try AtomicFile.write(Array("line 1\nline 2\n".utf8), to: short)
        let unterminated = FilePath(scratch.url.path).appending("unterminated")
        try AtomicFile.write(Array("line 1\nline 2".utf8), to: unterminated)
        #expect(BuildRunner.tail(of: short, lines: 15) == ["line 1", "line 2"])
        #expect(BuildRunner.tail(of: unterminated, lines: 1) == ["line 2"])
    }

    /// A step whose output does not end in a newline keeps the runner's `## … exit status` line on a line of its
    /// own, and `tail` shows the output, not the runner's line. (It was glued on before: found by this test.)
    @Test func outputWithoutAFinalNewlineKeepsTheStatusLineApart() async throws {
        let scratch = try TemporaryDirectory()
        let work = FilePath(scratch.url.path)
        let plan = BuildPlan(header: [], steps: [Self.step("make", "printf 'error: no newline'; exit 2", in: work)])
        let log = try await BuildRunner.run(plan, logFile: work.appending("log"))
        #expect(log.failedStep?.termination == .exited(2))
        let text = try Self.text(work.appending("log"))
        #expect(text.contains("error: no newline\n## make: exit status 2"))
        #expect(BuildRunner.tail(of: work.appending("log"), lines: 1) == ["error: no newline"])
    }

    /// "after 0.01 s" → "after <time> s", so a log can be compared line by line.
    static func maskTime(_ line: String) -> String {
        guard line.hasPrefix("## "), let range = line.range(of: " after ", options: .backwards), line.hasSuffix(" s") else { return line }
        return line[..<range.upperBound] + "<time> s"
    }
}

/// `BuildScheduler`: at most `width` jobs at once, results in input order.
@Suite struct BuildSchedulerTests {
    /// Counts jobs running at once.
    final class Gauge: Sendable {
        let state = Mutex<(running: Int, peak: Int, finished: [Int])>((0, 0, []))

        func job(_ index: Int, sleeping milliseconds: Int) -> @Sendable () async -> String {
            { [self] in
                state.withLock {
                    $0.running += 1
                    $0.peak = max($0.peak, $0.running)
                }
                try? await Task.sleep(for: .milliseconds(milliseconds))
                state.withLock {
                    $0.running -= 1
                    $0.finished.append(index)
                }
                return "result \(index)"
            }
        }
    }

    /// Ten jobs of decreasing length, width 3: never more than three run together, three do, they finish out of
    /// order, and the results still come back in the order given.
    @Test(arguments: [1, 3, 4]) func widthIsRespectedAndOrderKept(width: Int) async {
        let gauge = Gauge()
        let jobs = (0..<10).map { gauge.job($0, sleeping: 20 + (10 - $0) * 15) }
        let results = await BuildScheduler.run(jobs, width: width)
        #expect(results == (0..<10).map { "result \($0)" })
        let (peak, finished) = gauge.state.withLock { ($0.peak, $0.finished) }
        #expect(peak == width, "peak \(peak) with width \(width)")
        #expect(finished.count == 10)
        if width > 1 { #expect(finished != Array(0..<10), "the jobs finished in order: the test shows nothing") }
    }

    /// No jobs, no results; a width of zero or less still runs one at a time; a width beyond the jobs is fine.
    @Test func edgeWidths() async {
        #expect(await BuildScheduler.run([@Sendable () async -> Int](), width: 4) == [])
        for width in [0, -3] {
            let gauge = Gauge()
            let results = await BuildScheduler.run((0..<4).map { gauge.job($0, sleeping: 10) }, width: width)
            #expect(results.count == 4)
            #expect(gauge.state.withLock { $0.peak } == 1)
        }
        let gauge = Gauge()
        #expect(await BuildScheduler.run([gauge.job(0, sleeping: 1), gauge.job(1, sleeping: 1)], width: 50) == ["result 0", "result 1"])
    }
}

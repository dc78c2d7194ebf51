import Foundation
import Synchronization
import SystemPackage
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `VersionOrder`, `ExtendedRegex`, `parallelMap` and its siblings, durations and diagnostics.
@Suite struct SmallTypesTests {
    /// Kernel releases and package versions sort as `sort -V` sorts them (checked against the real tool), and
    /// numeric runs compare as numbers.
    @Test func versionOrderAgreesWithSortV() throws {
        let versions = [
            "6.1.0-9-amd64", "6.1.0-10-amd64", "6.1.0-10-cloud-amd64", "6.1.0-10-rt-amd64", "5.10.0-28-amd64", "6.10.2-amd64",
            "6.1.0-9-arm64", "0.12.7", "0.12.10", "1.0", "1.0.1", "1.1", "2.0rc1", "2.0", "10", "9", "1.0-1", "1.0-10", "1.0-2",
            "6.1.0-57-amd64", "6.1.0-56-amd64", "v4l2loopback", "0.12.7-2",
        ]
        let scratch = try TemporaryDirectory()
        try writeText(versions.joined(separator: "\n") + "\n", to: scratch.filePath("list"))
        let sorted = try run("sort", ["-V", scratch.filePath("list").string]).standardOutput.split(separator: "\n").map(String.init)
        #expect(versions.shuffled().sorted(by: VersionOrder.less) == sorted)

        #expect(VersionOrder.less("6.1.0-9", "6.1.0-10"))
        #expect(!VersionOrder.less("6.1.0-10", "6.1.0-9"))
        #expect(VersionOrder.compare(Array("007".utf8), Array("7".utf8)) == 0)
        #expect(VersionOrder.compare(Array("1.2".utf8), Array("1.2".utf8)) == 0)
        #expect(VersionOrder.compare(Array("18446744073709551616".utf8), Array("18446744073709551617".utf8)) < 0)
        #expect(VersionOrder.compare(Array("1.2a".utf8), Array("1.2".utf8)) > 0)
    }

    /// POSIX extended regexes match as `grep -E` does (checked against the real tool), anywhere in the text unless
    /// anchored.
    @Test func extendedRegexAgreesWithGrep() throws {
        let patterns = ["^6\\.1\\.", "amd64$", "(rt|cloud)-amd64", "^[0-9]+\\.[0-9]+", "-[0-9]{2,}-", "a|^$", "\\.", "[[:digit:]]+rc"]
        let texts = ["6.1.0-10-amd64", "6.10.2-rt-amd64", "5.10.0-cloud-amd64x", "", "2.0rc1", "abc", "6.1.0-9-arm64"]
        let scratch = try TemporaryDirectory()
        for pattern in patterns {
            let regex = try ExtendedRegex(pattern)
            #expect(regex.pattern == pattern)
            for text in texts {
                try writeText(text + "\n", to: scratch.filePath("text"))
                let grep = try run("grep", ["-E", "-q", "-e", pattern, scratch.filePath("text").string])
                #expect(regex.matches(text) == (grep.status == 0), "'\(pattern)' on '\(text)'")
            }
        }
        let error = #expect(throws: ExtendedRegex.CompileError.self) { _ = try ExtendedRegex("(unclosed") }
        #expect(error?.pattern == "(unclosed")
        #expect(error?.reason.isEmpty == false)
        #expect(error?.description == "bad regular expression '(unclosed': \(error?.reason ?? "")")
        #expect(throws: ExtendedRegex.CompileError.self) { _ = try ExtendedRegex("a{2,1}") }

        // One compiled expression shared by many threads.
        let shared = try ExtendedRegex("^6\\.1\\.0-[0-9]+-amd64$")
        let answers = Array(0..<2000).parallelMap { shared.matches("6.1.0-\($0)-amd64") && !shared.matches("6.1.0-\($0)-arm64") }
        #expect(answers.allSatisfy { $0 })
    }

    /// `parallelMap` keeps the input order and calls the transform exactly once per element, also for the
    /// trivial sizes.
    @Test func parallelMapKeepsOrderAndCallsOncePerElement() {
        let calls = Atomic<Int>(0)
        let input = Array(0..<5000)
        let output = input.parallelMap { value -> String in
            calls.add(1, ordering: .relaxed)
            if value % 97 == 0 { usleep(200) }
            return "#\(value)"
        }
        #expect(output == input.map { "#\($0)" })
        #expect(calls.load(ordering: .relaxed) == 5000)
        #expect([Int]().parallelMap { $0 + 1 } == [])
        #expect([41].parallelMap { $0 + 1 } == [42])
    }

    /// `concurrently` returns both results; `releaseInBackground` frees the value on another thread, soon.
    @Test func concurrentlyAndReleaseInBackground() {
        let (first, second) = concurrently({ (1...1000).reduce(0, +) }, { "second" })
        #expect(first == 500_500 && second == "second")

        let record = Canary.Record()
        releaseInBackground(Canary(record))
        #expect(record.freed.wait(timeout: .now() + 10) == .success, "the value was never freed")
        let thread = record.thread.withLock { $0 }
        #expect(thread != nil && pthread_equal(thread!, pthread_self()) == 0, "freed on the calling thread")
    }

    /// Durations in logs: two decimals, truncated.
    @Test func durationTexts() {
        #expect(Duration.milliseconds(2680).secondsText == "2.68")
        #expect(Duration.seconds(3).secondsText == "3.00")
        #expect(Duration.milliseconds(1059).secondsText == "1.05")
        #expect(Duration.seconds(125).secondsText == "125.00")
        #expect(Duration.microseconds(1840).millisecondsText == "1.84")
        #expect(Duration.microseconds(2005).millisecondsText == "2.00")
        #expect(Duration.seconds(2).millisecondsText == "2000.00")
    }

    /// Diagnostics render as `file:line: severity: message`; the collecting sink keeps every report from many
    /// threads, in order per thread.
    @Test func diagnosticsAndTheCollectingSink() {
        #expect(
            Diagnostic(.warning, "bad line", file: "/etc/depmod.d/x.conf", line: 3).description
                == "/etc/depmod.d/x.conf:3: warning: bad line")
        #expect(Diagnostic(.error, "unreadable", file: "/a.ko").description == "/a.ko: error: unreadable")
        #expect(Diagnostic(.note, "plain").description == "note: plain")
        let sink = CollectingDiagnosticSink()
        sink.warning("w", file: "f", line: 1)
        sink.error("e")
        sink.note("n")
        #expect(sink.diagnostics.map(\.severity) == [.warning, .error, .note])
        #expect(sink.diagnostics[0] == Diagnostic(.warning, "w", file: "f", line: 1))
        _ = Array(0..<1000).parallelMap { sink.note("\($0)") }
        #expect(sink.diagnostics.count == 1003)
        #expect(Set(sink.diagnostics.dropFirst(3).map(\.message)) == Set((0..<1000).map(String.init)))
    }

    /// `SystemError` says what was attempted on which file.
    @Test func systemErrorDescription() {
        let error = SystemError("open", path: "/x/y.ko", errno: .noSuchFileOrDirectory)
        #expect(error.description == "cannot open '/x/y.ko': No such file or directory")
    }
}

/// Notes the thread it is freed on.
private final class Canary: Sendable {
    final class Record: Sendable {
        let thread = Mutex<pthread_t?>(nil)
        let freed = DispatchSemaphore(value: 0)
    }

    let record: Record
    init(_ record: Record) { self.record = record }
    deinit {
        record.thread.withLock { $0 = pthread_self() }
        record.freed.signal()
    }
}

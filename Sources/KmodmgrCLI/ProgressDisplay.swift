import Lifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How install, autoinstall and build show long work. On a terminal (standard error is one), a live line per
/// running build — package, kernel, seconds so far, the last line make wrote to its log — redrawn four times a
/// second below the results, which are printed as each is known. Elsewhere (kernel hooks, logs) nothing is
/// redrawn: each result line as it comes (the build's own log says the rest).
final class ProgressDisplay: ProgressReporter {
    private struct Running {
        let package: String
        let release: String
        let log: String
        let started: ContinuousClock.Instant
    }

    private struct State {
        var running: [Running] = []
        /// Status lines on screen below the last result, to be cleared before anything else is written.
        var drawn = 0
        var results: [Installing.KernelResult] = []
        var stopped = false
    }

    private let state = Mutex(State())
    private let interactive: Bool
    private let clock = ContinuousClock()

    /// `interactive` nil: decided by whether standard error is a terminal.
    init(interactive: Bool? = nil) {
        self.interactive = interactive ?? (isatty(2) == 1)
        guard self.interactive else { return }
        Task.detached { [self] in
            while !state.withLock({ $0.stopped }) {
                redraw()
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    func buildStarted(package: String, release: String, log: String) {
        state.withLock { $0.running.append(Running(package: package, release: release, log: log, started: clock.now)) }
    }

    func buildFinished(package: String, release: String) {
        state.withLock { $0.running.removeAll { $0.package == package && $0.release == release } }
    }

    func resultReady(_ result: Installing.KernelResult) {
        state.withLock { state in
            clear(&state)
            InstallReport.print([result])
            fflush(nil)
            state.results.append(result)
        }
    }

    /// Stops redrawing and takes the status lines away; returns every result reported.
    func stop() -> [Installing.KernelResult] {
        state.withLock { state in
            state.stopped = true
            clear(&state)
            return state.results
        }
    }

    private func redraw() {
        state.withLock { state in
            guard !state.stopped else { return }
            clear(&state)
            let width = Self.terminalWidth()
            var text = ""
            for build in state.running {
                let seconds = (clock.now - build.started).components.seconds
                var line = "  building \(build.package) for \(build.release), \(seconds) s"
                if let last = Self.lastLine(ofLog: build.log) { line += ": \(last)" }
                text += String(line.prefix(max(20, width - 1))) + "\n"
            }
            Output.diagnosticText(text)
            state.drawn = state.running.count
        }
    }

    /// Moves up over the status lines and clears them (ESC [ n F, ESC [ J).
    private func clear(_ state: inout State) {
        guard interactive, state.drawn > 0 else { return }
        Output.diagnosticText("\u{1B}[\(state.drawn)F\u{1B}[J")
        state.drawn = 0
    }

    /// The last non-empty line of the log's last 4 KiB, without control characters.
    static func lastLine(ofLog path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        let size = lseek(descriptor, 0, SEEK_END)
        let start = max(0, size - 4096)
        var buffer = [UInt8](repeating: 0, count: Int(size - start))
        guard pread(descriptor, &buffer, buffer.count, start) > 0 else { return nil }
        let lines = buffer.split(separator: UInt8(ascii: "\n")).filter { !$0.allSatisfy { $0 == 32 || $0 == 9 } }
        guard let last = lines.last else { return nil }
        let text = String(decoding: last.filter { $0 >= 32 && $0 != 127 }, as: UTF8.self)
        return text.hasPrefix("#") ? nil : String(text.drop(while: { $0 == " " }))
    }

    private static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}

import Synchronization
import SystemSupport

/// The CLI's diagnostic sink: each diagnostic becomes one line on standard error as it arrives
/// (`path:line: warning: message`, or `kmodmgr: warning: message` when no file is involved), and the command
/// fails afterwards if any was an error.
final class StandardErrorDiagnostics: DiagnosticSink {
    private let errors = Mutex(0)

    func report(_ diagnostic: Diagnostic) {
        if diagnostic.severity == .error { errors.withLock { $0 += 1 } }
        if diagnostic.severity == .note && Output.isQuiet { return }
        Output.diagnostic(diagnostic.file == nil ? "kmodmgr: \(diagnostic)" : diagnostic.description)
    }

    /// Whether any error was reported.
    var sawErrors: Bool { errors.withLock { $0 > 0 } }
}

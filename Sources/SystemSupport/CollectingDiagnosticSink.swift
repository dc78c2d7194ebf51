import Synchronization

/// A sink that keeps every diagnostic in arrival order; for callers that render them later, and for tests.
public final class CollectingDiagnosticSink: DiagnosticSink {
    private let collected = Mutex<[Diagnostic]>([])

    public init() {}

    public func report(_ diagnostic: Diagnostic) {
        collected.withLock { $0.append(diagnostic) }
    }

    /// Everything reported so far.
    public var diagnostics: [Diagnostic] { collected.withLock { $0 } }
}

import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Crash points for the crash-safety tests. Every step of a transaction that changes a file passes through
/// `point()`, and every rename into place has one right before it (its temp file written) and one right after;
/// when the environment variable `KMODMGR_TEST_KILL_AT` is `N`, the N-th point reached kills the process with
/// SIGKILL — the same as a power cut at that instant, as far as the files are concerned. Just before, the point's
/// number and label go to standard error (`kmodmgr: fault point N: LABEL`), so a test can say where it struck.
/// Without the variable a point costs one atomic increment.
public enum FaultInjection {
    private static let target: Int = {
        guard let text = getenv("KMODMGR_TEST_KILL_AT") else { return 0 }
        return Int(String(cString: text)) ?? 0
    }()
    private static let reached = Atomic<Int>(0)

    /// Marks one step boundary; `label` says which (for the tests' messages only).
    public static func point(_ label: StaticString = "step") {
        let count = reached.add(1, ordering: .relaxed).newValue
        guard count == target else { return }
        let line = Array("kmodmgr: fault point \(count): \(label)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        kill(getpid(), SIGKILL)
    }
}

import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Crash points for the crash-safety tests. Every step of a transaction that changes a file passes through
/// `point()`; when the environment variable `KMODMGR_TEST_KILL_AT` is `N`, the N-th point reached kills the process
/// with SIGKILL — the same as a power cut at that instant, as far as the files are concerned. Without the
/// variable a point costs one atomic increment.
public enum FaultInjection {
    private static let target: Int = {
        guard let text = getenv("KMODMGR_TEST_KILL_AT") else { return 0 }
        return Int(String(cString: text)) ?? 0
    }()
    private static let reached = Atomic<Int>(0)

    /// Marks one step boundary.
    public static func point() {
        let count = reached.add(1, ordering: .relaxed).newValue
        if count == target { kill(getpid(), SIGKILL) }
    }
}

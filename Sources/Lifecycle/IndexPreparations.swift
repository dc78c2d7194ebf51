import DepmodIndex
import Synchronization
import SystemSupport

/// The re-indexes a command has started early (`IndexPreparation`), one per kernel: made by the first install
/// for the kernel, reused by the next ones (their same-name checks walk the same tree), and handed to the
/// re-index at the end of the command, which uses it up.
final class IndexPreparations: Sendable {
    private let byRelease = Mutex<[String: IndexPreparation]>([:])

    /// The kernel's preparation, started now if the command has none yet.
    func forKernel(_ release: String, root: Root) -> IndexPreparation {
        byRelease.withLock { preparations in
            if let existing = preparations[release] { return existing }
            let started = IndexPreparation(root: root, release: release)
            preparations[release] = started
            return started
        }
    }

    /// The kernel's preparation for its re-index, if the command started one; it is forgotten here.
    func take(_ release: String) -> IndexPreparation? {
        byRelease.withLock { $0.removeValue(forKey: release) }
    }
}

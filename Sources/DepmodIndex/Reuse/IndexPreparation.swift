import Dispatch
import Synchronization
import SystemPackage
import SystemSupport

/// A re-index of one kernel started early, by a command that will change a few of its files first (`install`):
/// the parse cache is decoded on another thread from the start, while the command plans and stages, and the
/// directory listings of its walks are kept (`ModuleTreeSnapshot`). The re-index at the end of the command
/// (`DepmodRequest.preparation`) then has the cache at hand and lists only the directories that changed —
/// about two thirds of a re-index of 4,000 modules done before it starts.
public final class IndexPreparation: Sendable {
    public let moduleDirectory: FilePath
    public let snapshot = ModuleTreeSnapshot()
    private let decoded = Mutex<ParseCache?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    /// Starts decoding the parse cache of `<root>/lib/modules/<release>` at once, on another thread.
    public init(root: Root, release: String) {
        let directory = root.moduleDirectory(release: release)
        moduleDirectory = directory
        DispatchQueue.global(qos: .userInitiated).async {
            let cache = ParseCache.load(from: directory)
            self.decoded.withLock { $0 = cache }
            self.ready.signal()
        }
    }

    /// The decoded cache, once: waits for the decoding, and then lets go of it. A second call (a second re-index
    /// in one command: the cache file has been rewritten since) gets nil, and the caller loads the file again.
    func takeCache() -> ParseCache? {
        ready.wait()
        ready.signal()  // a later call does not wait
        return decoded.withLock { $0.take() }
    }
}

import Codecs
import SystemSupport

/// Reads the facts of every module, on all cores, taking unchanged modules from the parse cache.
struct ModuleReading {
    /// Per module (array order), what it exports, imports and declares.
    let facts: [ModuleFacts]
    /// How many modules were read from disk rather than the cache.
    let modulesRead: Int
    /// A cache holding exactly this run's modules.
    let updatedCache: ParseCache

    init(modules: [ModuleFile], cache: ParseCache) {
        let readers = ScratchImageReader.Pool()
        let results = modules.parallelMap { module -> Outcome in
            // The status is taken before reading: a file changed in between is simply read again next time.
            let status = module.status ?? (try? FileBytes.status(module.hostPath))
            if let status, let entry = cache.entries[module.hostPath.string], entry.status == status { return .cached(entry) }
            return .read(status, readers.withReader { ModuleFacts.read(module.hostPath, using: $0) })
        }
        facts = results.map(\.facts)
        modulesRead = results.count { if case .read = $0 { true } else { false } }
        var updated = ParseCache()
        updated.source = cache.source
        updated.entries.reserveCapacity(modules.count)
        for (module, result) in zip(modules, results) {
            switch result {
            case .cached(let entry): updated.entries[module.hostPath.string] = entry
            case .read(let status?, let facts) where !facts.failureMayPass:
                updated.entries[module.hostPath.string] = ParseCache.Entry(status: status, facts: facts)
            case .read: continue
            }
        }
        updatedCache = updated
    }

    /// Where one module's facts came from.
    private enum Outcome {
        /// The cache's entry, kept whole so the next cache can copy its bytes.
        case cached(ParseCache.Entry)
        /// Read from the file, whose status (nil if it could not be taken) was taken first.
        case read(FileStatus?, ModuleFacts)

        var facts: ModuleFacts {
            switch self {
            case .cached(let entry): entry.facts
            case .read(_, let facts): facts
            }
        }
    }
}

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
        let results = modules.parallelMap { module -> (FileStatus?, ModuleFacts, Bool) in
            // The status is taken before reading: a file changed in between is simply read again next time.
            let status = try? FileBytes.status(module.hostPath)
            if let status, let entry = cache.entries[module.hostPath.string], entry.status == status {
                return (status, entry.facts, false)
            }
            return (status, readers.withReader { ModuleFacts.read(module.hostPath, using: $0) }, true)
        }
        facts = results.map(\.1)
        modulesRead = results.filter(\.2).count
        var updated = ParseCache()
        updated.entries.reserveCapacity(modules.count)
        for (module, result) in zip(modules, results) {
            guard let status = result.0, !result.1.failureMayPass else { continue }
            updated.entries[module.hostPath.string] = ParseCache.Entry(status: status, facts: result.1)
        }
        updatedCache = updated
    }
}

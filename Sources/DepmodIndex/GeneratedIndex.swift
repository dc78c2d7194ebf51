import SystemPackage
import SystemSupport

/// A complete set of index files for one module directory, not yet on disk.
public struct GeneratedIndex: Sendable {
    /// Where the files belong (`<root>/lib/modules/<kver>`).
    public let moduleDirectory: FilePath
    /// The ten files, in depmod's writing order.
    public let files: [(file: IndexFile, contents: [UInt8])]
    /// `-v`: why each dependency exists (`PATH needs "SYMBOL": OWNER_PATH`).
    public let explanations: [String]
    /// How many modules the index lists.
    public let moduleCount: Int
    /// How many of them had to be read (the rest came from the parse cache).
    public let modulesRead: Int
    /// The encoded parse cache to publish after the files (nil when caching is off).
    let cache: [UInt8]?

    /// The bytes of one file.
    public func contents(of file: IndexFile) -> [UInt8] {
        files.first { $0.file == file }?.contents ?? []
    }

    /// What `depmod -n` prints: the text files concatenated (`modules.dep`, `.alias`, `.softdep`, `.symbols`,
    /// `.devname`).
    public var dryRunText: [UInt8] {
        IndexFile.dryRunFiles.flatMap { contents(of: $0) }
    }

    /// Writes the ten files to temp files, fsyncs them, and only then renames them all into place; on failure the
    /// previous index is untouched. The parse cache follows as a separate step: failing to write it costs only
    /// speed next time, so it is reported to `sink` instead of failing the run.
    public func publish(sink: any DiagnosticSink) throws(DepmodError) {
        let members = files.map { (name: $0.file.fileName, contents: $0.contents) }
        do { try AtomicFileSet(directory: moduleDirectory).publish(members) } catch {
            switch error {
            case .notPublished(let failure): throw .publish(failure)
            case .partlyPublished, .publishedWithoutSync: throw .incompletePublication(error)
            }
        }
        guard let cache else { return }
        do {
            // No fsync: the cache carries a CRC, so one torn by a crash is ignored and every module read again.
            try AtomicFileSet(directory: moduleDirectory, durable: false).publish([(ParseCache.fileName, cache)])
        } catch {
            sink.warning("the parse cache was not written (the index was): \(error)")
        }
    }
}

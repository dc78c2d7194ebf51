import SystemPackage
import SystemSupport

/// A complete set of index files for one module directory, not yet on disk.
public struct GeneratedIndex: Sendable {
    /// Where the files belong (`<root>/lib/modules/<kver>`).
    public let moduleDirectory: FilePath
    /// The files made, in depmod's writing order: all ten, except those `kept`.
    public let files: [(file: IndexFile, contents: [UInt8])]
    /// Files left as they are on disk, their inputs unchanged (`DepmodRequest.keepUnchangedFiles`), with the
    /// record they were published with.
    let kept: [IndexFile: OutputRecord]
    /// `-v`: why each dependency exists (`PATH needs "SYMBOL": OWNER_PATH`).
    public let explanations: [String]
    /// How many modules the index lists.
    public let moduleCount: Int
    /// How many of them had to be read (the rest came from the parse cache).
    public let modulesRead: Int
    /// The encoded parse cache to publish after the files, without their records (nil when caching is off).
    private(set) var cache: PendingCache?
    let inputDigests: InputDigests?

    /// Whether the file was made in this run rather than kept as it was on disk.
    public func wasMade(_ file: IndexFile) -> Bool { kept[file] == nil }

    /// The bytes of one file.
    public func contents(of file: IndexFile) -> [UInt8] {
        files.first { $0.file == file }?.contents ?? []
    }

    /// What `depmod -n` prints: the text files concatenated (`modules.dep`, `.alias`, `.softdep`, `.symbols`,
    /// `.devname`).
    public var dryRunText: [UInt8] {
        IndexFile.dryRunFiles.flatMap { contents(of: $0) }
    }

    /// Writes the files made to temp files, fsyncs them, and only then renames them all into place; on failure the
    /// previous index is untouched. The parse cache follows as a separate step, with each file's record as
    /// published: failing to write it costs only speed next time, so it is reported to `sink` instead of failing
    /// the run. Takes the pending cache (publishing twice writes the index files only).
    public mutating func publish(sink: any DiagnosticSink) throws(DepmodError) {
        let members = files.map { (name: $0.file.fileName, contents: $0.contents) }
        do { try AtomicFileSet(directory: moduleDirectory).publish(members) } catch {
            switch error {
            case .notPublished(let failure): throw .publish(failure)
            case .partlyPublished, .publishedWithoutSync: throw .incompletePublication(error)
            }
        }
        guard let pending = cache.take() else { return }
        var records = kept
        for (file, _) in files {
            // A file that cannot be looked at now gets no record, and is made again next time.
            guard let status = try? FileBytes.status(moduleDirectory.appending(file.fileName)) else { continue }
            records[file] = OutputRecord(
                size: Int(status.size), modificationNanoseconds: status.modificationNanoseconds, inode: status.inode,
                inputDigest: inputDigests?[file])
        }
        let cache = pending.sealed(outputs: records)
        do {
            // No fsync: the cache carries a CRC, so one torn by a crash is ignored and every module read again.
            try AtomicFileSet(directory: moduleDirectory, durable: false).publish([(ParseCache.fileName, cache)])
        } catch {
            sink.warning("the parse cache was not written (the index was): \(error)")
        }
    }
}

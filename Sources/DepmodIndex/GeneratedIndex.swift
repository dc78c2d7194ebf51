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
    /// The parse cache to publish with the files (nil when caching is off).
    let cache: ParseCache?

    /// The bytes of one file.
    public func contents(of file: IndexFile) -> [UInt8] {
        files.first { $0.file == file }?.contents ?? []
    }

    /// What `depmod -n` prints: the text files concatenated (`modules.dep`, `.alias`, `.softdep`, `.symbols`,
    /// `.devname`).
    public var dryRunText: [UInt8] {
        IndexFile.dryRunFiles.flatMap { contents(of: $0) }
    }

    /// Writes every file (and the parse cache) to temp files, fsyncs them, and only then renames them all into
    /// place. On failure the previous index is untouched.
    public func publish() throws(DepmodError) {
        var members = files.map { (name: $0.file.fileName, contents: $0.contents) }
        if let cache { members.append((ParseCache.fileName, cache.encoded())) }
        do { try AtomicFileSet(directory: moduleDirectory).publish(members) } catch { throw .publish(error) }
    }
}

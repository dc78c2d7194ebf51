import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Install records, journals and re-index markers: the files that make installs and uninstalls crash-safe.
extension StateStore {
    // MARK: Install records

    public func installed(_ name: String, _ version: String, release: String, arch: String) throws(StateError) -> InstallRecord? {
        let file = tree.installRecord(name, version, release: release, arch: arch)
        guard let bytes = try readIfPresent(file) else { return nil }
        return try InstallRecord(try RecordFormat.parse(bytes, file: file), file: file)
    }

    /// Writes the install record (temp file, fsync, rename): the commit point of an install.
    public func commitInstall(_ record: InstallRecord, _ name: String, _ version: String, release: String, arch: String)
        throws(StateError)
    {
        try write(record.record, to: tree.installRecord(name, version, release: release, arch: arch))
    }

    /// Removes the install record: the commit point of an uninstall.
    public func removeInstallRecord(_ name: String, _ version: String, release: String, arch: String) throws(StateError) {
        try removeFile(tree.installRecord(name, version, release: release, arch: arch))
    }

    // MARK: Journals

    /// Starts a transaction: marks its kernel for re-indexing, then writes its journal — both durable before any
    /// file under `lib/modules` changes, so no transaction can leave an index behind that nothing will catch up.
    public func begin(_ journal: Journal) throws(StateError) {
        try markForReindex(release: journal.release)
        try write(journal.record, to: tree.journal(journal.transaction))
    }

    /// The journals of interrupted transactions, oldest first (transaction names sort by time).
    public func journals() throws(StateError) -> [Journal] {
        var journals = [Journal]()
        for name in DirectoryListing.names(in: tree.journals).sorted() where TemporaryName.parse(name) == nil {
            let file = tree.journal(name)
            guard let bytes = try readIfPresent(file) else { continue }
            journals.append(try Journal(try RecordFormat.parse(bytes, file: file), file: file))
        }
        return journals
    }

    /// Drops a finished transaction's journal and whatever it staged.
    public func finish(_ journal: Journal) throws(StateError) {
        do throws(SystemError) {
            try FileTree.remove(tree.staging(journal.transaction))
        } catch {
            throw .system(error)
        }
        try removeFile(tree.journal(journal.transaction))
    }

    /// Whether anything is left of an interrupted command: a journal, a re-index marker, staged files or a build's
    /// scratch copy (or one in progress: only the command holding the lock builds). Temp files elsewhere are found
    /// by `leftovers(isAbandoned:)`.
    public var hasUnfinishedWork: Bool {
        !DirectoryListing.names(in: tree.journals).isEmpty || !DirectoryListing.names(in: tree.reindexMarkers).isEmpty
            || !DirectoryListing.names(in: tree.stagingDirectory).isEmpty
            || !DirectoryListing.names(in: tree.scratchDirectory).isEmpty
    }

    /// Staging directories no journal names (a crash before the journal was written, or after it was dropped).
    public func orphanedStaging() -> [FilePath] {
        let journals = Set(DirectoryListing.names(in: tree.journals))
        return DirectoryListing.names(in: tree.stagingDirectory).filter { !journals.contains($0) }.sorted().map {
            tree.stagingDirectory.appending($0)
        }
    }

    // MARK: Re-index markers

    /// Records, durably, that `release`'s index must be rebuilt — before any module file of that kernel changes.
    public func markForReindex(release: String) throws(StateError) {
        try write(RecordFormat(), to: tree.reindexMarker(release: release))
    }

    public func releasesToReindex() -> [String] {
        DirectoryListing.names(in: tree.reindexMarkers).filter { TemporaryName.parse($0) == nil }.sorted()
    }

    public func clearReindex(release: String) throws(StateError) {
        try removeFile(tree.reindexMarker(release: release))
    }

    // MARK: Helpers

    private func write(_ record: RecordFormat, to file: FilePath) throws(StateError) {
        do throws(SystemError) {
            try FileTree.makeDirectories(file.removingLastComponent())
            try AtomicFile.write(record.bytes, to: file)
        } catch {
            throw .system(error)
        }
    }

    private func removeFile(_ file: FilePath) throws(StateError) {
        guard unlink(file.string) == 0 || errno == ENOENT else {
            throw .system(SystemError("remove", path: file, errno: Errno(rawValue: errno)))
        }
        do throws(SystemError) {
            try AtomicFile.syncDirectory(file.removingLastComponent())
        } catch {
            if error.errno != .noSuchFileOrDirectory { throw .system(error) }
        }
    }
}

import SystemPackage
import SystemSupport

/// What a killed kmodmgr leaves in the state tree besides journals and markers: temp files (`TemporaryName`),
/// partial build results, build scratch copies and staging directories.
extension StateStore {
    /// Everything a previous holder of the state lock left in the state tree, for a caller that holds the lock (or
    /// asks whether recovery has anything to do):
    /// - every entry of `.build/` — a build's scratch copy exists only while the command holding the lock builds;
    /// - staging directories no journal names (`orphanedStaging`);
    /// - `STAMP-PID.partial` build results, which only the lock holder makes;
    /// - `NAME.tmp-PID` temp files anywhere else (records, journals, markers, backups, the headers digest cache)
    ///   that `isAbandoned` judges left behind (the digest cache is also written without the lock: the pid decides).
    /// The walk does not follow symbolic links (`source`) and does not enter `.build` or `.stage`.
    public func leftovers(isAbandoned: (TemporaryName) -> Bool) -> [Leftover] {
        var found = DirectoryListing.names(in: tree.scratchDirectory).sorted().map {
            Leftover(path: tree.scratchDirectory.appending($0), isDirectory: FileTree.isDirectory(tree.scratchDirectory.appending($0)))
        }
        found += orphanedStaging().map { Leftover(path: $0, isDirectory: true) }
        found += TemporaryName.leftovers(
            in: tree.directory, patterns: [.file, .partialResult], recursive: true,
            skipping: [tree.scratchDirectory.lastComponent!.string, tree.stagingDirectory.lastComponent!.string]
        ) { name in name.pattern == .partialResult || isAbandoned(name) }
        return found
    }
}

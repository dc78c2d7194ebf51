import Synchronization
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The directory listings of a module tree, kept for the rest of one command, so that the walks of `install`'s
/// same-name check and of the re-index after it list each unchanged directory once (a distribution kernel has
/// 900 of them).
///
/// A listing is reused only while its directory is provably unchanged: the same inode and modification time,
/// and that time older than the listing by more than a second. Adding, removing or renaming an entry changes a
/// directory's time, but the kernel takes that time from a coarse clock: a change in the same tick as the
/// listing could leave it as it was, so a directory changed just before it was listed is listed again every
/// time (git treats its "racily clean" entries the same way). The status of a module file in a reused listing
/// is the one taken with it, as if the walk had happened then.
public final class ModuleTreeSnapshot: Sendable {
    typealias Listing = [(entry: DirectoryListing.Entry, status: FileStatus?)]

    private struct Recorded: Sendable {
        let directory: FileStatus
        let listedAt: Int64
        /// What the walk made of the listing (module files, subdirectories, warnings).
        let items: [ModuleDiscovery.Item]
    }

    private let recorded = Mutex<[String: Recorded]>([:])
    /// How much older than its listing a directory's modification time must be for the listing to be reused.
    private static let racyMargin: Int64 = 1_000_000_000

    public init() {}

    /// What the walk makes (`make`) of the listing of `directory` — its entries, with the status of those
    /// `wantsStatus` picks — kept from an earlier walk if the directory is unchanged since, else made from a fresh
    /// listing (and kept). A directory that cannot be listed has no items.
    func items(
        in directory: FilePath, withStatusOf wantsStatus: (DirectoryListing.Entry) -> Bool,
        make: (Listing) -> [ModuleDiscovery.Item]
    ) -> [ModuleDiscovery.Item] {
        let key = directory.string
        guard let status = try? FileBytes.status(directory), status.kind == .directory else {
            return DirectoryListing.entries(in: directory, withStatusOf: wantsStatus).map(make) ?? []
        }
        if let previous = recorded.withLock({ $0[key] }), previous.directory == status,
            status.modificationNanoseconds < previous.listedAt - Self.racyMargin
        {
            return previous.items
        }
        let listedAt = Self.now()
        guard let listing = DirectoryListing.entries(in: directory, withStatusOf: wantsStatus) else { return [] }
        let items = make(listing)
        recorded.withLock { $0[key] = Recorded(directory: status, listedAt: listedAt, items: items) }
        return items
    }

    private static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

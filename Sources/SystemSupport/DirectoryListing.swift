import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Directory entries in raw `readdir` order — the order depmod walks in, which decides its tie-breaks.
public enum DirectoryListing {
    /// What `readdir`'s `d_type` says an entry is.
    public enum EntryKind: Sendable, Equatable {
        case directory, regularFile, symbolicLink, other, unknown
    }

    public struct Entry: Sendable {
        public let name: String
        public let kind: EntryKind
    }

    /// The entries of `directory` except `.` and `..`, in `readdir` order; nil if it cannot be opened.
    public static func entries(in directory: FilePath) -> [Entry]? {
        guard let stream = directory.withPlatformString({ opendir($0) }) else { return nil }
        defer { closedir(stream) }
        return read(stream)
    }

    /// `entries(in:)`, plus the `stat` (following symbolic links) of each entry `wantsStatus` picks, nil where it
    /// fails. Taken relative to the open directory, which spares the kernel a lookup of the whole path per file.
    public static func entries(
        in directory: FilePath, withStatusOf wantsStatus: (Entry) -> Bool
    ) -> [(entry: Entry, status: FileStatus?)]? {
        guard let stream = directory.withPlatformString({ opendir($0) }) else { return nil }
        defer { closedir(stream) }
        let descriptor = dirfd(stream)
        return read(stream).map { entry in
            guard wantsStatus(entry) else { return (entry, nil) }
            var info = stat()
            let found = entry.name.withCString { fstatat(descriptor, $0, &info, 0) } == 0
            return (entry, found ? FileStatus(info) : nil)
        }
    }

    private static func read(_ stream: OpaquePointer) -> [Entry] {
        var entries = [Entry]()
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let kind: EntryKind =
                switch Int32(entry.pointee.d_type) {
                case Int32(DT_DIR): .directory
                case Int32(DT_REG): .regularFile
                case Int32(DT_LNK): .symbolicLink
                case Int32(DT_UNKNOWN): .unknown
                default: .other
                }
            entries.append(Entry(name: name, kind: kind))
        }
        return entries
    }

    /// Throws unless `directory` can be opened for listing (the errno `opendir` gives).
    public static func checkListable(_ directory: FilePath) throws(SystemError) {
        guard let stream = directory.withPlatformString({ opendir($0) }) else {
            throw SystemError("open directory", path: directory, errno: Errno(rawValue: errno))
        }
        closedir(stream)
    }

    /// The names in `directory` in `readdir` order (none if it cannot be opened).
    public static func names(in directory: FilePath) -> [String] {
        entries(in: directory)?.map(\.name) ?? []
    }
}

import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Which Debian package installed a file, from dpkg's own records under the root (`var/lib/dpkg/info/*.list`,
/// one path per line), so the fix for a damaged file names the package to reinstall. Missing files are still
/// listed there, which is what makes this work for a file that was deleted.
public struct PackageOwnership: Sendable {
    private let infoDirectory: FilePath

    public init(root: Root) {
        infoDirectory = root.resolve("/var/lib/dpkg/info")
    }

    /// The package whose file list holds `systemPath` (as the managed system sees it), nil when none does or
    /// dpkg keeps no records there. Kernel packages are searched first: they own what the preflight asks about.
    public func owner(of systemPath: String) -> String? {
        let lists = DirectoryListing.names(in: infoDirectory).filter { $0.hasSuffix(".list") }
        let ordered = lists.filter { $0.hasPrefix("linux-") } + lists.filter { !$0.hasPrefix("linux-") }
        let needle = Array("\n\(systemPath)\n".utf8)
        for list in ordered {
            guard var bytes = try? FileBytes.read(infoDirectory.appending(list)) else { continue }
            bytes.insert(UInt8(ascii: "\n"), at: 0)
            if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
            if Self.contains(bytes, needle) { return Self.packageName(ofList: list) }
        }
        return nil
    }

    /// Whether `needle` occurs in `haystack`: candidates found with `memchr` on the first byte, then compared.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pin in
                let base = hay.baseAddress!
                let last = hay.count - pin.count
                var offset = 0
                while offset <= last, let hit = memchr(base + offset, Int32(needle[0]), last - offset + 1) {
                    let position = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + position, pin.baseAddress!, pin.count) == 0 { return true }
                    offset = position + 1
                }
                return false
            }
        }
    }

    /// `linux-headers-6.1.0-57-amd64.list` → `linux-headers-6.1.0-57-amd64`; `libc6:amd64.list` → `libc6`.
    static func packageName(ofList list: String) -> String {
        let name = String(list.dropLast(".list".count))
        return name.split(separator: ":").first.map(String.init) ?? name
    }
}

import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The kernels under a root, and the facts about one of them.
public enum KernelInventory {
    /// Release names under `<root>/lib/modules` whose `build` holds headers, oldest first (version order).
    public static func releasesWithHeaders(root: Root) -> [String] {
        DirectoryListing.names(in: root.resolve("/lib/modules"))
            .filter { isSafeRelease($0) && buildDirectory(release: $0, root: root) != nil }
            .sorted(by: versionLess)
    }

    /// Every release directory under `<root>/lib/modules`, with headers or not.
    public static func releases(root: Root) -> [String] {
        DirectoryListing.names(in: root.resolve("/lib/modules")).filter(isSafeRelease).sorted(by: versionLess)
    }

    /// The headers of `release`: `lib/modules/<release>/build` with its links resolved inside the root (an
    /// absolute `build -> /usr/src/linux-headers-X` in an image means the image's headers), nil when that is not
    /// a build tree.
    public static func buildDirectory(release: String, root: Root) -> FilePath? {
        guard case .found(let directory) = root.resolvingLinks(FilePath("/lib/modules/\(release)/build")),
            hasHeaders(directory)
        else { return nil }
        return directory
    }

    /// Discovers kernel `release` from `<root>/lib/modules/<release>/build` (links resolved inside the root), or
    /// from `buildDirectory` when given (`--kernel-source-dir`, a path on this machine).
    ///
    /// With `digestCache` (a directory), the ABI digest is remembered per release together with the files' metadata
    /// stamp, and computed again only when a file was rewritten (reinstalled headers have new inodes and times).
    public static func kernel(release: String, root: Root, buildDirectory: FilePath? = nil, digestCache: FilePath? = nil)
        throws(KernelError) -> Kernel
    {
        guard isSafeRelease(release) else { throw .invalidRelease(release) }
        let found =
            buildDirectory.map { given in hasHeaders(given) ? realPath(given) ?? given : nil }
            ?? Self.buildDirectory(release: release, root: root)
        guard let directory = found else {
            let missing = buildDirectory ?? root.moduleDirectory(release: release).appending("build")
            throw .missingHeaders(release: release, directory: missing.string, package: headersPackage(release))
        }
        let config = readConfig(directory)
        let stamp = headersStamp(buildDirectory: directory.string)
        let digest: String
        do {
            digest = try cachedHeadersDigest(directory, release: release, stamp: stamp, cache: digestCache)
        } catch {
            throw .unreadable(error)
        }
        return Kernel(
            release: release, arch: arch(from: config), buildDirectory: directory.string, config: config, headersDigest: digest,
            headersStamp: stamp)
    }

    /// The Debian package that ships the headers of `release` (`linux-headers-6.1.0-56-amd64`).
    public static func headersPackage(_ release: String) -> String { "linux-headers-\(release)" }

    /// A release is a single path component: it names directories in `/lib/modules` and in the state tree.
    public static func isSafeRelease(_ release: String) -> Bool {
        !release.isEmpty && release != "." && release != ".." && release.first != "."
            && !release.contains(where: { $0 == "/" || $0 == "\0" || $0.isNewline || $0 == " " })
    }

    /// Kernel releases in version order (`6.1.0-9` before `6.1.0-10`), like `sort -V`.
    public static func versionLess(_ a: String, _ b: String) -> Bool {
        VersionOrder.less(a, b)
    }

    private static func hasHeaders(_ directory: FilePath) -> Bool {
        FileTree.isDirectory(directory) && FileTree.exists(directory.appending("Makefile"))
    }

    /// The Kconfig of the build tree at `directory` (`.config`, else `include/config/auto.conf`), nil without either.
    public static func readConfig(_ directory: FilePath) -> KernelConfig? {
        for name in [".config", "include/config/auto.conf"] {
            let file = directory.appending(name)
            if let bytes = try? FileBytes.read(file) { return KernelConfig(bytes: bytes, file: file.string) }
        }
        return nil
    }

    /// The metadata fingerprint of a kernel's ABI files (see `ContentHash.stamp`), for `status`.
    public static func headersStamp(buildDirectory: String) -> String {
        ContentHash.stamp(directory: FilePath(buildDirectory), names: abiFiles)
    }

    /// The files whose contents decide whether a module built against these headers fits the kernel.
    static let abiFiles = [".config", "Module.symvers", "include/generated/utsrelease.h", "include/generated/autoconf.h"]

    /// The digest from `cache/<release>` ("STAMP DIGEST") when the stamp still matches, else computed and stored
    /// (storing is best effort: a read-only state tree only costs the recomputation).
    private static func cachedHeadersDigest(_ directory: FilePath, release: String, stamp: String, cache: FilePath?)
        throws(SystemError) -> String
    {
        guard let cache else { return try headersDigest(directory) }
        let file = cache.appending(release)
        if let bytes = try? FileBytes.read(file) {
            let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ")
            if fields.count == 2, fields[0] == stamp { return String(fields[1].filter { !$0.isNewline }) }
        }
        let digest = try headersDigest(directory)
        try? FileTree.makeDirectories(cache)
        try? AtomicFile.write(Array("\(stamp) \(digest)\n".utf8), to: file)
        return digest
    }

    private static func headersDigest(_ directory: FilePath) throws(SystemError) -> String {
        var parts = [(name: String, digest: String)]()
        for name in abiFiles where FileTree.exists(directory.appending(name)) {
            parts.append((name, try ContentHash.of(file: directory.appending(name))))
        }
        return ContentHash.combining(parts)
    }

    /// The `uname -m` name of the kernel's architecture, from its config; the running machine's when unknown.
    public static func arch(from config: KernelConfig?) -> String {
        config.flatMap(Architecture.configured(by:))?.machine ?? RunningKernel.machine
    }

    private static func realPath(_ path: FilePath) -> FilePath? {
        guard let resolved = realpath(path.string, nil) else { return nil }
        defer { free(resolved) }
        return FilePath(String(cString: resolved))
    }
}

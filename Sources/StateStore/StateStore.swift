import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// One package version for one kernel and arch that the state tree knows about.
public struct KernelEntry: Sendable, Hashable {
    public let release: String
    public let arch: String
}

/// Reads and writes the state tree. Every writer holds the lock (`lock()`), every record is replaced atomically,
/// and readers never need the lock: they see the last committed record or the one before it.
public struct StateStore: Sendable {
    public let tree: StateTree

    public init(root: Root) {
        tree = StateTree(root: root)
    }

    /// Takes the one lock every mutating command holds (a kernel hook and an admin never interleave). When another
    /// process holds it, `onWait` hears its pid before waiting, or `.busy` is thrown with `.fail`.
    public func lock(contention: LockFile.Contention, onWait: (Int32?) -> Void) throws(LockError) -> LockFile {
        do throws(SystemError) {
            try FileTree.makeDirectories(tree.directory)
        } catch {
            throw .system(error)
        }
        return try LockFile(tree.lockFile, contention: contention, onWait: onWait)
    }

    // MARK: Packages

    /// Every registered `(name, version)`, by name and then version order.
    public func packages() -> [(name: String, version: String)] {
        var result = [(name: String, version: String)]()
        for name in DirectoryListing.names(in: tree.directory).sorted() where !name.hasPrefix(".") {
            let versions = DirectoryListing.names(in: tree.directory.appending(name))
            for version in versions.sorted(by: VersionOrder.less)
            where FileTree.exists(tree.packageRecord(name, version)) {
                result.append((name, version))
            }
        }
        return result
    }

    public func package(_ name: String, _ version: String) throws(StateError) -> PackageRecord? {
        let file = tree.packageRecord(name, version)
        guard let bytes = try readIfPresent(file) else { return nil }
        return try PackageRecord(try RecordFormat.parse(bytes, file: file), file: file)
    }

    /// Registers a package version: its directory, the `source` link, then the record (the commit point).
    public func register(_ package: PackageRecord) throws(StateError) {
        let directory = tree.package(package.name, package.version)
        do throws(SystemError) {
            try FileTree.makeDirectories(directory)
            let link = tree.sourceLink(package.name, package.version)
            unlink(link.string)
            guard symlink(package.source, link.string) == 0 else {
                throw SystemError("create symlink", path: link, errno: Errno(rawValue: errno))
            }
            try AtomicFile.write(package.record.bytes, to: tree.packageRecord(package.name, package.version))
        } catch {
            throw .system(error)
        }
    }

    /// Forgets a package version and everything built for it. The record goes first, so a crash leaves either a
    /// registered package or leftovers that `packages()` does not list.
    public func unregister(_ name: String, _ version: String) throws(StateError) {
        do throws(SystemError) {
            let record = tree.packageRecord(name, version)
            if unlink(record.string) != 0 && errno != ENOENT {
                throw SystemError("remove", path: record, errno: Errno(rawValue: errno))
            }
            try FileTree.remove(tree.package(name, version))
            let nameDirectory = tree.directory.appending(name)
            if DirectoryListing.names(in: nameDirectory).isEmpty { rmdir(nameDirectory.string) }
        } catch {
            throw .system(error)
        }
    }

    // MARK: Builds

    /// The kernels (release, arch) a package version has a build record for, in version order.
    public func kernels(_ name: String, _ version: String) -> [KernelEntry] {
        var entries = [KernelEntry]()
        let package = tree.package(name, version)
        for release in DirectoryListing.names(in: package).sorted(by: VersionOrder.less)
        where release.first?.isNumber == true {
            for arch in DirectoryListing.names(in: package.appending(release)).sorted()
            where FileTree.exists(tree.buildRecord(name, version, release: release, arch: arch)) {
                entries.append(KernelEntry(release: release, arch: arch))
            }
        }
        return entries
    }

    public func build(_ name: String, _ version: String, release: String, arch: String) throws(StateError) -> BuildRecord? {
        let file = tree.buildRecord(name, version, release: release, arch: arch)
        guard let bytes = try readIfPresent(file) else { return nil }
        return try BuildRecord(try RecordFormat.parse(bytes, file: file), file: file)
    }

    /// Commits `record` for a kernel: its result directory and log must already be complete. Results of earlier
    /// builds that the new record no longer names are removed afterwards.
    public func commit(_ record: BuildRecord, _ name: String, _ version: String, release: String, arch: String)
        throws(StateError)
    {
        let kernel = tree.kernel(name, version, release: release, arch: arch)
        do throws(SystemError) {
            try FileTree.makeDirectories(kernel)
            try AtomicFile.write(record.record.bytes, to: tree.buildRecord(name, version, release: release, arch: arch))
            for entry in DirectoryListing.names(in: kernel) where entry != record.build && isBuildIdentifier(entry) {
                try FileTree.remove(kernel.appending(entry))
            }
        } catch {
            throw .system(error)
        }
    }

    /// Forgets what was built for one kernel (the record first, then the files).
    public func discard(_ name: String, _ version: String, release: String, arch: String) throws(StateError) {
        let kernel = tree.kernel(name, version, release: release, arch: arch)
        do throws(SystemError) {
            let record = tree.buildRecord(name, version, release: release, arch: arch)
            if unlink(record.string) != 0 && errno != ENOENT {
                throw SystemError("remove", path: record, errno: Errno(rawValue: errno))
            }
            try FileTree.remove(kernel)
            let releaseDirectory = kernel.removingLastComponent()
            if DirectoryListing.names(in: releaseDirectory).isEmpty { rmdir(releaseDirectory.string) }
        } catch {
            throw .system(error)
        }
    }

    /// Forgets what the state tree keeps about a kernel as a whole — its headers digest, build scratch directories and
    /// initramfs log — once no package has anything for it: the kernel is going away.
    public func forgetKernel(release: String) throws(StateError) {
        do throws(SystemError) {
            try FileTree.remove(tree.kernelDigests.appending(release))
            try FileTree.remove(tree.scratchDirectory.appending(release))
            try FileTree.remove(tree.initramfsLog(release: release))
        } catch {
            throw .system(error)
        }
    }

    /// A new build identifier: UTC time to the second plus the process id, sortable and unique under the lock.
    public static func newBuildIdentifier(now: Int = Int(time(nil))) -> String {
        var seconds = time_t(now)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let stamp =
            zeroPadded(Int(parts.tm_year) + 1900, width: 4) + pad(Int(parts.tm_mon) + 1) + pad(Int(parts.tm_mday)) + "T"
            + pad(Int(parts.tm_hour)) + pad(Int(parts.tm_min)) + pad(Int(parts.tm_sec)) + "Z"
        return "\(stamp)-\(getpid())"
    }

    private func isBuildIdentifier(_ name: String) -> Bool {
        name.count > 17 && name.first?.isNumber == true && name.contains("T") && name.contains("Z-")
    }

    func readIfPresent(_ file: FilePath) throws(StateError) -> [UInt8]? {
        do throws(SystemError) {
            return try FileBytes.read(file)
        } catch {
            if error.errno == .noSuchFileOrDirectory { return nil }
            throw .system(error)
        }
    }
}

private func pad(_ value: Int) -> String { zeroPadded(value, width: 2) }

private func zeroPadded(_ value: Int, width: Int) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, width - text.count)) + text
}

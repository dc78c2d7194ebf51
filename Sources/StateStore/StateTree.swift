import SystemPackage
import SystemSupport

/// Where everything lives in the state tree — a pure path scheme, no I/O:
///
/// ```
/// <root>/var/lib/kmodmgr/
///   .lock                                       flock held by every mutating command (holds its pid)
///   .journal/<transaction>                      an install or uninstall in progress (see `Journal`)
///   .reindex/<kver>                             that kernel's index is behind its files: re-index it
///   .stage/<transaction>/                       modules prepared (stripped, compressed) for an install
///   <name>/<version>/package                    registration record (source directory, when)
///   <name>/<version>/source -> /usr/src/…       the source, as DKMS keeps it
///   <name>/<version>/log/post-add.log          what POST_ADD printed
///   <name>/<version>/<kver>/<arch>/record       state of the last build (built, failed, skipped) + digests
///   <name>/<version>/<kver>/<arch>/<build>/     a build's result: manifest.json, module/<dest>.ko
///   <name>/<version>/<kver>/<arch>/log/<build>.log   every build's full log
///   <name>/<version>/<kver>/<arch>/installed    what is installed where (see `InstallRecord`): the commit point
///   <name>/<version>/<kver>/<arch>/displaced/…  in-tree modules moved aside, by path below lib/modules/<kver>
///   .build/<kver>/<arch>/<name>/<version>/build  scratch copy a build runs in (dkms_tree = .build/<kver>/<arch>)
///   .kernels/<kver>                              headers digest cache: "STAMP SHA256"
///   .initramfs/<kver>.log                        every initramfs regeneration kmodmgr ran for that kernel
///   …/NAME.tmp-PID, …/<kver>/<arch>/<build>.partial/   on their way into place (`TemporaryName`)
/// ```
///
/// What a killed command leaves — temp files, `.partial` results, `.build` and `.stage` directories of a previous
/// lock holder — is found by `StateStore.leftovers(isAbandoned:)` and removed by the next command's recovery.
///
/// Kernel releases start with a digit and names and versions are checked path components, so the fixed names
/// (`package`, `source`, `.build`) never collide with them.
public struct StateTree: Sendable, Hashable {
    public let root: Root
    /// `<root>/var/lib/kmodmgr`.
    public let directory: FilePath

    public init(root: Root) {
        self.root = root
        self.directory = root.resolve("/var/lib/kmodmgr")
    }

    /// The lock every mutating command holds.
    public var lockFile: FilePath { directory.appending(".lock") }

    public var journals: FilePath { directory.appending(".journal") }

    public func journal(_ transaction: String) -> FilePath { journals.appending(transaction) }

    public var reindexMarkers: FilePath { directory.appending(".reindex") }

    public func reindexMarker(release: String) -> FilePath { reindexMarkers.appending(release) }

    /// `.stage`: one directory per install transaction, while it runs.
    public var stagingDirectory: FilePath { directory.appending(".stage") }

    public func staging(_ transaction: String) -> FilePath { stagingDirectory.appending(transaction) }

    public func installRecord(_ name: String, _ version: String, release: String, arch: String) -> FilePath {
        kernel(name, version, release: release, arch: arch).appending("installed")
    }

    /// Where an in-tree module moved aside is kept: `displaced/` plus its path below `lib/modules/<release>`.
    public func displacedBackup(_ name: String, _ version: String, release: String, arch: String, relativePath: String)
        -> FilePath
    {
        kernel(name, version, release: release, arch: arch).appending("displaced").appending(relativePath)
    }

    public func package(_ name: String, _ version: String) -> FilePath {
        directory.appending(name).appending(version)
    }

    public func packageRecord(_ name: String, _ version: String) -> FilePath {
        package(name, version).appending("package")
    }

    public func sourceLink(_ name: String, _ version: String) -> FilePath {
        package(name, version).appending("source")
    }

    /// The log of a package-level script (`POST_ADD`): `<name>/<version>/log/<script>.log`.
    public func packageLog(_ name: String, _ version: String, script: String) -> FilePath {
        package(name, version).appending("log").appending(script + ".log")
    }

    public func kernel(_ name: String, _ version: String, release: String, arch: String) -> FilePath {
        package(name, version).appending(release).appending(arch)
    }

    public func buildRecord(_ name: String, _ version: String, release: String, arch: String) -> FilePath {
        kernel(name, version, release: release, arch: arch).appending("record")
    }

    public func result(_ name: String, _ version: String, release: String, arch: String, build: String) -> FilePath {
        kernel(name, version, release: release, arch: arch).appending(build)
    }

    public func builtModule(_ name: String, _ version: String, release: String, arch: String, build: String, module: String)
        -> FilePath
    {
        result(name, version, release: release, arch: arch, build: build).appending("module").appending(module + ".ko")
    }

    public func manifest(_ name: String, _ version: String, release: String, arch: String, build: String) -> FilePath {
        result(name, version, release: release, arch: arch, build: build).appending("manifest.json")
    }

    public func log(_ name: String, _ version: String, release: String, arch: String, build: String) -> FilePath {
        kernel(name, version, release: release, arch: arch).appending("log").appending(build + ".log")
    }

    /// The `dkms_tree` a build for `release`/`arch` sees: its build directory is `<this>/<name>/<version>/build`,
    /// so builds for different kernels never share one.
    public func scratchTree(release: String, arch: String) -> FilePath {
        scratchDirectory.appending(release).appending(arch)
    }

    /// `.build`: the build scratch copies, which exist only while the command holding the lock builds them.
    public var scratchDirectory: FilePath { directory.appending(".build") }

    /// Where each kernel's headers digest is remembered with the stamp it was computed for (`.kernels/<release>`).
    public var kernelDigests: FilePath { directory.appending(".kernels") }

    /// `.dkms-import/<name>/<version>`: that version of DKMS's tree was imported, and is never read again — it
    /// outlives the package's own directory, so a version removed after its import is not adopted anew from DKMS's
    /// stale tree.
    public func dkmsImportMarker(_ name: String, _ version: String) -> FilePath {
        directory.appending(".dkms-import").appending(name).appending(version)
    }

    /// The log of the initramfs regenerations run for a kernel.
    public func initramfsLog(release: String) -> FilePath { directory.appending(".initramfs").appending("\(release).log") }

    public func scratchBuild(_ name: String, _ version: String, release: String, arch: String) -> FilePath {
        scratchTree(release: release, arch: arch).appending(name).appending(version).appending("build")
    }
}

import Codecs
import SystemPackage
import SystemSupport

/// What DKMS keeps in its tree (`/var/lib/dkms` by default), read without DKMS: the package versions with their
/// source, the kernels each was built for, which version is installed for which kernel, and the originals it moved
/// aside. Only names and links are read here; the module files are read by the import.
///
/// DKMS 3.0.x's layout: `<name>/<version>/source` (a link to `/usr/src/<name>-<version>`), built modules in
/// `<name>/<version>/<kver>/<arch>/module/<dest>.ko[.gz|.xz|.zst]` with `log/make.log` beside them, the link
/// `<name>/kernel-<kver>-<arch>` → `<version>/<kver>/<arch>` meaning "installed", and (on distributions other than
/// Debian and Ubuntu) `<name>/original_module/<kver>/<arch>/<file>` for a module an install moved aside.
struct DKMSTree {
    /// One package version DKMS has added.
    struct Version {
        let name: String
        let version: String
        /// The source directory as the managed system sees it (the `source` link's target, under the root).
        let source: String
        let builds: [Build]
    }

    /// One build of a version for a kernel.
    struct Build {
        let release: String
        let arch: String
        /// `<version>/<kver>/<arch>` on this machine.
        let directory: FilePath
        /// Whether `kernel-<kver>-<arch>` points at this build: DKMS's "installed".
        let installed: Bool
        /// Modules DKMS moved aside for it: `original_module/<kver>/<arch>/<file>` on this machine.
        let originals: [FilePath]

        /// The module file DKMS built under `destName`, whatever its compression.
        func builtModule(_ destName: String) -> FilePath? {
            DKMSTree.moduleFile(destName, in: directory.appending("module"))
        }
    }

    let directory: FilePath
    let versions: [Version]

    /// Reads the tree at `systemPath` (as the managed system sees it) under `root`.
    init(systemPath: String, root: Root) {
        directory = root.resolve(FilePath(systemPath))
        var versions = [Version]()
        for name in DirectoryListing.names(in: directory).sorted() where !name.hasPrefix(".") {
            let package = directory.appending(name)
            guard FileTree.isDirectory(package) else { continue }  // mok.key, mok.pub
            for version in DirectoryListing.names(in: package).sorted(by: VersionOrder.less) {
                let sourceLink = package.appending(version).appending("source")
                // Not added (original_module, a leftover): skipped. DKMS writes absolute links; one made by a DKMS run
                // with `--sourcetree` inside a root names the root's own path, which systemPath(of:) takes off.
                guard let target = try? FileTree.readLink(sourceLink), let source = Self.source(target, of: sourceLink, root: root)
                else { continue }
                versions.append(Version(name: name, version: version, source: source, builds: Self.builds(of: package, version: version)))
            }
        }
        self.versions = versions
    }

    /// The source a `source` link names, as the managed system sees it: an absolute target as it is (the root's own
    /// path taken off), a relative one against the link's directory; nil for one that leads out of the root.
    private static func source(_ target: String, of link: FilePath, root: Root) -> String? {
        let path = FilePath(target)
        if path.isAbsolute {
            let system = FilePath(root.systemPath(of: path)).lexicallyNormalized()
            return system.components.contains(where: { $0.kind == .parentDirectory }) ? nil : system.string
        }
        let resolved = link.removingLastComponent().pushing(path).lexicallyNormalized()
        guard resolved.starts(with: root.resolve("/")) else { return nil }
        return root.systemPath(of: resolved)
    }

    private static func builds(of package: FilePath, version: String) -> [Build] {
        var builds = [Build]()
        let versionDirectory = package.appending(version)
        for release in DirectoryListing.names(in: versionDirectory).sorted(by: VersionOrder.less)
        where release != "source" && release != "build" && release != "tarball" {
            for arch in DirectoryListing.names(in: versionDirectory.appending(release)).sorted() {
                let directory = versionDirectory.appending(release).appending(arch)
                guard FileTree.isDirectory(directory.appending("module")) else { continue }
                let link = (try? FileTree.readLink(package.appending("kernel-\(release)-\(arch)"))) ?? ""
                let originalsDirectory = package.appending("original_module").appending(release).appending(arch)
                let originals = DirectoryListing.names(in: originalsDirectory).sorted()
                    .filter { $0.contains(".ko") }.map { originalsDirectory.appending($0) }
                builds.append(
                    Build(
                        release: release, arch: arch, directory: directory,
                        installed: link.split(separator: "/").map(String.init) == [version, release, arch],
                        originals: originals))
            }
        }
        return builds
    }

    /// `directory/<name>.ko`, `.ko.xz`, `.ko.zst` or `.ko.gz`, whichever is there.
    static func moduleFile(_ name: String, in directory: FilePath) -> FilePath? {
        for suffix in ["", ".xz", ".zst", ".gz"] {
            let file = directory.appending("\(name).ko\(suffix)")
            if FileTree.exists(file) { return file }
        }
        return nil
    }
}

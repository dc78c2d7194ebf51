import SystemPackage
import SystemSupport

/// The fix for a missing or damaged file of a build tree: reinstall the Debian package that installed it (found
/// in dpkg's records under the root), or, for a tree no package installed (a self-built kernel source), the
/// make target that regenerates it.
struct FixAdvice {
    let root: Root
    let ownership: PackageOwnership
    /// The build tree as the managed system sees it (`/usr/src/linux-headers-…`).
    let buildTree: String

    init(root: Root, buildDirectory: FilePath) {
        self.root = root
        ownership = PackageOwnership(root: root)
        buildTree = root.systemPath(of: buildDirectory)
    }

    /// `file` is where the file is, or would be, on this machine (links resolved as far as they go).
    /// `makeTarget`: what regenerates it in a source tree (`modules_prepare`, or `modules` for Module.symvers).
    func forFile(_ file: FilePath, makeTarget: String = "modules_prepare") -> String {
        if let package = ownership.owner(of: root.systemPath(of: file)) { return reinstall(package) }
        return "in the kernel source tree \(buildTree), run `make \(makeTarget)`"
            + (makeTarget == "modules" ? " (modules_prepare does not make Module.symvers)" : "")
    }

    func reinstall(_ package: String) -> String {
        let command = "apt-get install --reinstall \(package)"
        return root.path == "/"
            ? "reinstall \(package): `\(command)`" : "reinstall \(package) in \(root.path): `chroot \(root.path) \(command)`"
    }
}

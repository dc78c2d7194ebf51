import SystemPackage

/// The directory every absolute path of the managed system is resolved under.
///
/// kmodmgr never touches `/lib/modules` or `/var/lib/kmodmgr` directly: it asks a `Root` for them, so a test,
/// a chroot or an image build is the same code as a live system with root `/` (like `depmod -b`).
public struct Root: Sendable, Hashable, CustomStringConvertible {
    /// The root directory itself (`/` for the live system).
    public let path: FilePath

    /// Creates a root at `path`; a relative `path` is taken against `workingDirectory`.
    public init(_ path: FilePath, workingDirectory: FilePath = "/") {
        self.path = path.isAbsolute ? path.lexicallyNormalized() : workingDirectory.pushing(path).lexicallyNormalized()
    }

    /// The live system.
    public static let system = Root("/")

    /// Whether this is the live system's own root, where the running kernel and firmware are this root's.
    public var isSystemRoot: Bool { path == "/" }

    /// `absolute` (a path as seen from inside the root, e.g. `/lib/modules`) as a path on this machine.
    public func resolve(_ absolute: FilePath) -> FilePath {
        var relative = absolute
        relative.root = nil
        return path.pushing(relative)
    }

    /// A path on this machine below the root as the managed system sees it (`<root>/var/lib/x` → `/var/lib/x`): what
    /// records store, so that a tree stays valid when its root is moved or mounted elsewhere.
    public func systemPath(of hostPath: FilePath) -> String {
        var relative = hostPath
        guard relative.removePrefix(path) else { return hostPath.string }
        relative.root = "/"
        return relative.string
    }

    /// The module directory of kernel release `release`: `<root>/lib/modules/<release>`.
    public func moduleDirectory(release: String) -> FilePath {
        resolve("/lib/modules").appending(release)
    }

    public var description: String { path.string }
}

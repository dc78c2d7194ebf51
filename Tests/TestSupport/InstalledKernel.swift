import Foundation

/// The real kernel module tree the tests read: the newest `/lib/modules/<release>` with a `kernel/` directory of
/// modules, as installed by `linux-image-<abi>-amd64-unsigned` (`scripts/setup` installs one).
public struct InstalledKernel: Sendable {
    public let release: String
    public let moduleDirectory: URL
    /// Every `.ko*` file under `kernel/`, sorted by path.
    public let modules: [URL]

    public enum Missing: Error, CustomStringConvertible {
        case noTree
        public var description: String {
            "no kernel module tree under /lib/modules: run scripts/setup, which installs linux-image-<abi>-amd64-unsigned"
        }
    }

    /// The tree, found once per test process.
    public static func find() throws -> InstalledKernel {
        if let cached = cachedKernel { return cached }
        throw Missing.noTree
    }

    private static let cachedKernel: InstalledKernel? = {
        let base = URL(fileURLWithPath: "/lib/modules")
        let releases = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        for release in releases.sorted(by: >) {
            let directory = base.appendingPathComponent(release)
            let kernel = directory.appendingPathComponent("kernel")
            guard let walker = FileManager.default.enumerator(at: kernel, includingPropertiesForKeys: nil) else { continue }
            let modules = walker.compactMap { $0 as? URL }.filter { $0.lastPathComponent.contains(".ko") }
                .sorted { $0.path < $1.path }
            if modules.count >= 1000 { return InstalledKernel(release: release, moduleDirectory: directory, modules: modules) }
        }
        return nil
    }()

    /// `count` modules spread evenly over the whole tree (every k-th), so every subsystem is represented.
    public func sample(_ count: Int) -> [URL] {
        let step = max(1, modules.count / count)
        return stride(from: 0, to: modules.count, by: step).prefix(count).map { modules[$0] }
    }
}

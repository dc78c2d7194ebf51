import StateStore
import Synchronization

/// The installs and uninstalls a command committed, per kernel, as far as the initramfs cares: filled as each
/// transaction commits, read once at the end of the command to decide which kernels' initramfs is stale.
final class InitramfsDemand: Sendable {
    /// One committed install or uninstall.
    struct Change: Sendable {
        /// `NAME/VERSION`.
        let package: String
        let bootCritical: Bool
        /// The modules it put in place, moved aside or overrode: if the initramfs has one of these names, the
        /// initramfs holds the wrong file now.
        let moduleNames: Set<String>
    }

    private let changes = Mutex<[String: [Change]]>([:])

    /// Records that `name`/`version`'s install (or uninstall) described by `record` committed for `release`.
    func note(release: String, name: String, version: String, record: InstallRecord, settings: Settings) {
        let names = Set(record.modules.map(\.name) + record.displaced.map(\.name) + record.overridden.map(\.name))
        let change = Change(
            package: "\(name)/\(version)", bootCritical: settings.isBootCritical(package: name, remakeInitrd: record.bootCritical),
            moduleNames: names)
        changes.withLock { $0[release, default: []].append(change) }
    }

    /// Every kernel with a committed change, and the changes.
    var byRelease: [String: [Change]] { changes.withLock { $0 } }
}

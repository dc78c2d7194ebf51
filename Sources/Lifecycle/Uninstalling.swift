import StateStore
import SystemPackage
import SystemSupport

/// `kmodmgr uninstall`: takes a package's modules out of kernels' trees, puts back what they displaced, removes the
/// directories its installs created once empty, and re-indexes. The build stays.
public enum Uninstalling {
    /// Uninstalls `reference` from `kernels` (every kernel it is installed for when empty); returns the kernels it
    /// was uninstalled from.
    public static func uninstall(_ reference: PackageReference, kernels: [KernelReference], context: LifecycleContext)
        async throws(LifecycleError) -> [KernelEntry]
    {
        let lock = try context.exclusive()
        defer { withExtendedLifetime(lock) {} }
        let package = try Building.registered(reference, context: context)
        var done = [KernelEntry]()
        for entry in context.state.kernels(package.name, package.version) where kernels.selects(entry) {
            if try uninstallIfInstalled(name: package.name, version: package.version, entry: entry, context: context) {
                done.append(entry)
            }
        }
        try await Reindexing.finishCommand(context: context)
        return done
    }

    /// Uninstalls one kernel's install of a package version if there is one (lock held); tells whether there was.
    static func uninstallIfInstalled(name: String, version: String, entry: KernelEntry, context: LifecycleContext)
        throws(LifecycleError) -> Bool
    {
        let record: InstallRecord?
        do {
            record = try context.state.installed(name, version, release: entry.release, arch: entry.arch)
        } catch {
            throw .state(error)
        }
        guard let record else { return false }
        try uninstallHoldingLock(name: name, version: version, release: entry.release, arch: entry.arch, record: record, context: context)
        return true
    }

    /// The uninstall transaction: journal, remove the record (the commit point), then the files. From the moment
    /// the journal exists the uninstall is completed by whichever kmodmgr runs next, whatever happens. The
    /// package's `POST_REMOVE` is noted to run at the end of the command (not for `sign --all`'s swap:
    /// `runsScripts` false).
    static func uninstallHoldingLock(
        name: String, version: String, release: String, arch: String, record: InstallRecord, context: LifecycleContext,
        runsScripts: Bool = true
    ) throws(LifecycleError) {
        let state = context.state
        if runsScripts { notePostRemove(name: name, version: version, release: release, arch: arch, build: record.build, context: context) }
        var steps = record.modules.map { Journal.Step.remove(destination: $0.path, digest: $0.digest) }
        steps += record.displaced.map { Journal.Step.restore(backup: $0.backup, original: $0.original, digest: $0.digest) }
        steps += record.createdDirectories.reversed().map(Journal.Step.removeDirectory)
        let journal = Journal(
            transaction: TransactionIdentifier.next(), action: .uninstall, package: name, version: version, release: release,
            arch: arch, steps: steps)
        do throws(StateError) {
            try state.begin(journal)
            try state.removeInstallRecord(name, version, release: release, arch: arch)
            context.initramfsDemand.note(release: release, name: name, version: version, record: record, settings: context.settings)
            FaultInjection.point("after the install record is removed")
        } catch {
            throw .state(error)
        }
        do throws(SystemError) {
            try Transaction(journal: journal, root: context.root).apply()
        } catch {
            throw .transactionFailed(
                package: "\(name)/\(version)", release: release, reason: "\(error) (the next kmodmgr command completes the uninstall)")
        }
        do {
            try state.finish(journal)
        } catch {
            throw .state(error)
        }
        FaultInjection.point("after an uninstall's journal is dropped")
    }
}

extension Uninstalling {
    /// Notes the package's `POST_REMOVE`, if its stored manifest has one, to run when the command finishes.
    private static func notePostRemove(
        name: String, version: String, release: String, arch: String, build: String, context: LifecycleContext
    ) {
        let file = context.state.tree.manifest(name, version, release: release, arch: arch, build: build)
        guard let package = try? context.state.package(name, version), let manifest = try? StoredManifest.read(file),
            let command = PackageScript.postRemove.command(in: manifest)
        else { return }
        context.postRemoveDemand.note(
            PostRemoveDemand.Pending(
                command: command, source: context.sourceDirectory(package), package: package, release: release, arch: arch))
    }
}

extension [KernelReference] {
    /// Whether a kernel entry is among these references (all entries when there are none).
    func selects(_ entry: KernelEntry) -> Bool {
        isEmpty || contains { $0.release == entry.release && ($0.arch == nil || $0.arch == entry.arch) }
    }
}

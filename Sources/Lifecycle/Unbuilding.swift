import StateStore
import SystemSupport

/// `kmodmgr unbuild` and `kmodmgr remove`: forget what was built for some kernels (or all), uninstalling first where
/// it is installed; `remove` also forgets the package once nothing is left of it.
public enum Unbuilding {
    /// Removes the builds of `reference` for `kernels` (every kernel when empty); returns the kernels removed.
    public static func unbuild(_ reference: PackageReference, kernels: [KernelReference], context: LifecycleContext)
        async throws(LifecycleError) -> [KernelEntry]
    {
        let lock = try context.exclusive()
        defer { withExtendedLifetime(lock) {} }
        let package = try Building.registered(reference, context: context)
        let removed = try unbuildHoldingLock(package, kernels: kernels, context: context)
        try await Reindexing.finishCommand(context: context)
        return removed
    }

    /// `unbuild --all-packages -k KVER`: every package's builds for `kernels` (uninstalled first), registrations kept
    /// — what the kernel hooks do for a kernel being removed, so that nothing of kmodmgr's outlives it and every
    /// displaced module is back before the kernel's package deletes its files.
    public static func unbuildEveryPackage(kernels: [KernelReference], context: LifecycleContext)
        async throws(LifecycleError) -> [(package: String, entry: KernelEntry)]
    {
        precondition(!kernels.isEmpty, "every package for every kernel is `remove`, one package at a time")
        let lock = try context.exclusive()
        defer { withExtendedLifetime(lock) {} }
        var removed = [(package: String, entry: KernelEntry)]()
        for (name, version) in context.state.packages() {
            let package = try Building.registered(PackageReference(name: name, version: version), context: context)
            for entry in try unbuildHoldingLock(package, kernels: kernels, context: context) {
                removed.append(("\(name)/\(version)", entry))
            }
        }
        for kernel in kernels {
            do {
                try context.state.forgetKernel(release: kernel.release)
            } catch {
                throw .state(error)
            }
        }
        try await Reindexing.finishCommand(context: context)
        return removed
    }

    /// What `remove` did.
    public struct Removal: Sendable {
        public let kernels: [KernelEntry]
        /// Whether the package's registration went too (no kernel was left, or `--all`).
        public let unregistered: Bool
    }

    /// `remove`: uninstall and unbuild for `kernels` (every kernel when empty), then unregister the package version
    /// once no kernel is left. Its source in the source tree stays, as DKMS leaves it.
    public static func remove(_ reference: PackageReference, kernels: [KernelReference], context: LifecycleContext)
        async throws(LifecycleError) -> Removal
    {
        let lock = try context.exclusive()
        defer { withExtendedLifetime(lock) {} }
        let package = try Building.registered(reference, context: context)
        let removed = try unbuildHoldingLock(package, kernels: kernels, context: context)
        let unregister = context.state.kernels(package.name, package.version).isEmpty
        if unregister {
            do {
                try context.state.unregister(package.name, package.version)
            } catch {
                throw .state(error)
            }
        }
        try await Reindexing.finishCommand(context: context)
        return Removal(kernels: removed, unregistered: unregister)
    }

    private static func unbuildHoldingLock(_ package: PackageRecord, kernels: [KernelReference], context: LifecycleContext)
        throws(LifecycleError) -> [KernelEntry]
    {
        let chosen = context.state.kernels(package.name, package.version).filter { kernels.selects($0) }
        for entry in chosen {
            _ = try Uninstalling.uninstallIfInstalled(name: package.name, version: package.version, entry: entry, context: context)
            do {
                try context.state.discard(package.name, package.version, release: entry.release, arch: entry.arch)
            } catch {
                throw .state(error)
            }
        }
        return chosen
    }
}

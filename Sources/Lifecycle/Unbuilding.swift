import StateStore
import SystemSupport

/// `kmodmgr unbuild`: forgets what was built for some kernels (or all), keeping the registration.
public enum Unbuilding {
    /// Removes the builds of `reference` for `kernels` (every kernel when empty); returns the kernels removed.
    public static func unbuild(_ reference: PackageReference, kernels: [KernelReference], context: LifecycleContext)
        throws(LifecycleError) -> [KernelEntry]
    {
        let package = try Building.registered(reference, context: context)
        let lock = try context.lockState()
        defer { withExtendedLifetime(lock) {} }
        let chosen = context.state.kernels(package.name, package.version).filter { entry in
            kernels.isEmpty || kernels.contains { $0.release == entry.release && ($0.arch == nil || $0.arch == entry.arch) }
        }
        for entry in chosen {
            do {
                try context.state.discard(package.name, package.version, release: entry.release, arch: entry.arch)
            } catch {
                throw .state(error)
            }
        }
        return chosen
    }
}

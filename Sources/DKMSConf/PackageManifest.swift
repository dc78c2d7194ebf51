/// A dkms.conf turned into data, resolved for one kernel: what to build, how, and where each module goes.
///
/// It is a plain value (Codable) because kmodmgr caches it as JSON in the state tree next to the build it
/// describes, so `status` and `uninstall` never evaluate a dkms.conf again. Every path in it has been validated
/// (see `ManifestValidation.swift`).
public struct PackageManifest: Sendable, Equatable, Codable {
    /// How the file was read.
    public enum Evaluation: String, Sendable, Codable {
        /// By kmodmgr's own parser: the file is assignments only, and no process was started.
        case native
        /// By bash, as an unprivileged user with an empty environment.
        case shell
    }

    /// `PACKAGE_NAME`: a single safe path component.
    public var name: String
    /// `PACKAGE_VERSION`: a single safe path component.
    public var version: String
    /// One entry per `BUILT_MODULE_NAME[i]`, in index order.
    public var modules: [ModuleDeclaration]
    /// The build command: the `MAKE[i]` chosen by `MAKE_MATCH` for the kernel, or DKMS's default.
    public var make: String
    /// Whether `make` is DKMS's default (no `MAKE[i]` applied to this kernel).
    public var makeIsDefault: Bool
    /// `CLEAN`, or the default `clean` target.
    public var clean: String
    /// `PATCH[i]` whose `PATCH_MATCH[i]` matches the kernel (or is empty), in index order; relative to `patches/`.
    public var patches: [String]
    /// `PRE_BUILD` and `POST_BUILD`: a path relative to the build directory, possibly followed by arguments.
    public var preBuild: String?
    public var postBuild: String?
    /// `POST_ADD`, `PRE_INSTALL`, `POST_INSTALL`, `POST_REMOVE`: relative to the source directory, with arguments.
    public var postAdd: String?
    public var preInstall: String?
    public var postInstall: String?
    public var postRemove: String?
    /// `AUTOINSTALL`, read as a yes/no answer (DKMS takes any non-empty value, even "no", as yes).
    public var autoinstall: Bool
    /// The `BUILD_EXCLUSIVE_*` restrictions.
    public var buildExclusive: BuildExclusive
    /// `BUILD_DEPENDS[i]`: names of other packages to build first.
    public var buildDepends: [String]
    /// `OBSOLETE_BY`: a kernel version from which on the package is not installed.
    public var obsoleteBy: String?
    /// `REMAKE_INITRD`: the package is boot-critical — its modules belong in the initramfs, and installing or
    /// uninstalling it regenerates the image (DKMS 3 ignores the directive as deprecated).
    public var remakeInitrd: Bool
    /// `NO_WEAK_MODULES`.
    public var noWeakModules: Bool
    public var evaluation: Evaluation
    /// The kernel release the manifest was resolved for ("" for none).
    public var kernelRelease: String

    /// Why the package is not built for `kernelRelease` (`BUILD_EXCLUSIVE_*` or `OBSOLETE_BY`), or nil when it is.
    /// Every kernel option the package and its modules name in `BUILD_EXCLUSIVE_CONFIG`, without `!`.
    public var exclusiveConfigOptions: [String] {
        (buildExclusive.config + modules.flatMap { $0.exclusiveConfig ?? [] }).map { $0.hasPrefix("!") ? String($0.dropFirst()) : $0 }
    }

    /// The manifest without the modules whose own `BUILD_EXCLUSIVE_CONFIG[i]` the kernel does not meet, and why each
    /// was left out.
    public func keepingModules(for kernelConfig: [String: String]?) -> (
        manifest: PackageManifest, leftOut: [(name: String, reason: String)]
    ) {
        var kept = self
        var leftOut = [(name: String, reason: String)]()
        kept.modules = modules.filter { module in
            guard let config = module.exclusiveConfig,
                let reason = BuildExclusive.configReason(config, kernelConfig: kernelConfig)
            else { return true }
            leftOut.append((module.destName, reason))
            return false
        }
        return (kept, leftOut)
    }

    public func exclusionReason(kernelRelease: String, arch: String, kernelConfig: [String: String]?) -> String? {
        buildExclusive.exclusionReason(kernelRelease: kernelRelease, arch: arch, kernelConfig: kernelConfig)
            ?? obsoletionReason(kernelRelease: kernelRelease)
    }

    /// Why `OBSOLETE_BY` rules out `kernelRelease` (it is that version or newer), or nil.
    public func obsoletionReason(kernelRelease: String) -> String? {
        guard let obsoleteBy, !obsoleteBy.isEmpty else { return nil }
        guard KernelVersion.compare(kernelRelease, obsoleteBy) != .orderedAscending else { return nil }
        return "OBSOLETE_BY \(shellQuotedForMessage(obsoleteBy)): \(kernelRelease) is that version or newer"
    }
}

/// One kernel module a package builds.
public struct ModuleDeclaration: Sendable, Equatable, Codable {
    /// `BUILT_MODULE_NAME[i]`: the module's file name without `.ko`.
    public var builtName: String
    /// `BUILT_MODULE_LOCATION[i]`: a directory relative to the build directory, "" for its top, without a trailing
    /// slash.
    public var builtLocation: String
    /// `DEST_MODULE_NAME[i]`, or `builtName`.
    public var destName: String
    /// `DEST_MODULE_LOCATION[i]` (`/kernel…`, `/updates…` or `/extra…`, no trailing slash), or `/updates/dkms`.
    public var destLocation: String
    /// `STRIP[i]`: whether debug symbols are stripped when installing.
    public var strip: Bool
    /// `BUILD_EXCLUSIVE_CONFIG[i]` for i ≥ 1 (DKMS 3.1's per-module form; `[0]` is the package's, as DKMS 3.0.10
    /// reads it): the kernel options this module needs, as `BuildExclusive.config`. nil when none is set (and then
    /// absent from the stored manifest).
    public var exclusiveConfig: [String]?

    public init(builtName: String, builtLocation: String, destName: String, destLocation: String, strip: Bool) {
        self.builtName = builtName
        self.builtLocation = builtLocation
        self.destName = destName
        self.destLocation = destLocation
        self.strip = strip
    }
}

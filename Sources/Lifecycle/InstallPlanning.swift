import Codecs
import DKMSConf
import DepmodIndex
import ModuleELF
import StateStore
import SystemPackage
import SystemSupport

/// One module an install will put in place.
struct PlannedModule: Sendable {
    /// The module name as depmod and modprobe know it (`hid_uclogic`).
    let name: String
    /// The built file in the state tree.
    let built: FilePath
    /// Where it goes, below `lib/modules/<kver>` (`updates/kmodmgr/hid-uclogic.ko.xz`).
    let relativeDestination: String
    let strip: Bool
}

/// What installing one build for one kernel will do, decided before any file is touched: each module's
/// destination, the same-named modules it overrides (left in place) or displaces (moved aside), and the
/// directories it creates.
struct InstallPlan: Sendable {
    var modules: [PlannedModule] = []
    var displaced: [(module: String, relativePath: String, file: FilePath)] = []
    var overridden: [OverriddenModule] = []
    var createdDirectories: [String] = []
    var compression: CompressionFormat = .none
}

enum InstallPlanning {
    /// The directory below `lib/modules/<kver>` the `updates` policy installs into.
    static let updatesDirectory = "updates/kmodmgr"

    /// Plans the install of `build` (built from `manifest`) for `release`.
    ///
    /// - Parameters:
    ///   - owners: module names other kmodmgr packages have installed for this kernel, with the package's label.
    ///   - force: install even over a newer same-named module.
    static func plan(
        label: String, manifest: PackageManifest, builtModule: (String) -> FilePath, release: String, rivals: ModuleRivals,
        owners: [String: String], compression: CompressionFormat, settings: Settings, root: Root, force: Bool
    ) throws(LifecycleError) -> InstallPlan {
        var plan = InstallPlan()
        plan.compression = compression
        let moduleDirectory = root.moduleDirectory(release: release)
        for declaration in manifest.modules {
            let name = ModuleFileName.moduleName(ofFileName: declaration.destName + ".ko")
            if let owner = owners[name] {
                throw .moduleConflict(module: name, package: label, owner: owner, release: release)
            }
            let directory =
                settings.installLocation == .manifest ? String(declaration.destLocation.drop { $0 == "/" }) : updatesDirectory
            let relative = "\(directory)/\(declaration.destName).ko\(compression.fileExtension)"
            let built = builtModule(declaration.destName)
            plan.modules.append(PlannedModule(name: name, built: built, relativeDestination: relative, strip: declaration.strip))
            noteCreatedDirectories(directory, below: moduleDirectory, root: root, into: &plan.createdDirectories)

            let candidate = rivals.file(atRelativePath: relative)
            for rival in rivals.files(named: name) {
                if !force { try checkVersion(of: rival.hostPath, against: built, module: name, root: root) }
                if rival.systemPath != candidate.systemPath && rivals.outranks(candidate, rival) {
                    plan.overridden.append(OverriddenModule(name: name, path: rival.systemPath))
                } else {
                    let relativePath = rival.relativePath ?? "external" + rival.systemPath
                    plan.displaced.append((name, relativePath, rival.hostPath))
                }
            }
        }
        return plan
    }

    /// The compression modules get for a kernel: the setting, else what most of its installed modules use (distros
    /// compress in packaging whatever the config says), else its `CONFIG_MODULE_COMPRESS_*`.
    static func compression(settings: Settings, rivals: ModuleRivals, configured: () -> String?) -> CompressionFormat {
        if let chosen = settings.compression, let format = CompressionFormat(rawValue: chosen) { return format }
        var counts = [CompressionFormat: Int]()
        let ours = Array((updatesDirectory + "/").utf8)
        for file in rivals.files where !(file.relativePath?.utf8.starts(with: ours) ?? false) {
            if let format = CompressionFormat.ofModuleFileName(file.systemPath) { counts[format, default: 0] += 1 }
        }
        if let (format, _) = counts.max(by: { $0.value < $1.value }) { return format }
        return configured().flatMap(CompressionFormat.init(rawValue:)) ?? .none
    }

    /// DKMS's version check, made honest: a same-named module whose `version:` is newer than ours is not replaced
    /// (and the install says so and fails) unless forced. Modules without a version never block.
    private static func checkVersion(of rival: FilePath, against built: FilePath, module: String, root: Root) throws(LifecycleError) {
        guard let present = moduleVersion(rival), let ours = moduleVersion(built), VersionOrder.less(ours, present) else { return }
        throw .newerModulePresent(module: module, path: root.systemPath(of: rival), present: present, ours: ours)
    }

    /// The `version` field of a module file, any compression; nil if it has none or cannot be read.
    static func moduleVersion(_ file: FilePath) -> String? {
        guard let bytes = try? FileBytes.read(file), let (image, _) = try? Codec.moduleImage(of: bytes),
            let module = try? KernelModule.parse(image, parts: .modinfo)
        else { return nil }
        return module.modinfoValue("version").flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Adds the directories of `directory` (below the module directory) that do not exist yet, outermost first.
    private static func noteCreatedDirectories(
        _ directory: String, below moduleDirectory: FilePath, root: Root, into created: inout [String]
    ) {
        var path = moduleDirectory
        for component in directory.split(separator: "/") {
            path = path.appending(String(component))
            let systemPath = root.systemPath(of: path)
            if !FileTree.exists(path) && !created.contains(systemPath) { created.append(systemPath) }
        }
    }
}

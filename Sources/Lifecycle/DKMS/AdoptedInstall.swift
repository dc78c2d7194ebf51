import Codecs
import DKMSConf
import DepmodIndex
import FoundationEssentials
import StateStore
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

extension AdoptedBuild {
    /// The directories below `lib/modules/<kver>` DKMS installs into, in the order they are looked in: Debian's,
    /// Ubuntu's and Arch's (`updates/dkms`), then the module's own `DEST_MODULE_LOCATION` (what DKMS uses where the
    /// distribution has no rule), then Fedora's and SUSE's — never the kernel's own `kernel/` tree.
    static func installDirectories(of declaration: ModuleDeclaration) -> [String] {
        var directories = [String]()
        for directory in ["updates/dkms", String(declaration.destLocation.drop { $0 == "/" }), "extra", "updates"]
        where !directory.isEmpty && directory != "kernel" && !directory.hasPrefix("kernel/") && !directories.contains(directory) {
            directories.append(directory)
        }
        return directories
    }

    /// Where DKMS installed `declaration`'s module for this kernel: the directory below `lib/modules/<kver>` and the
    /// file on this machine. DKMS copies its built file as it is, so only a file with exactly those bytes is DKMS's;
    /// a same-named module of another origin there is not adopted (uninstall would delete it).
    private func installedFile(of declaration: ModuleDeclaration, in moduleDirectory: FilePath) -> (String, FilePath)? {
        guard let built = dkms.builtModule(declaration.destName), let builtDigest = try? ContentHash.of(file: built) else { return nil }
        for directory in Self.installDirectories(of: declaration) {
            if let file = DKMSTree.moduleFile(declaration.destName, in: moduleDirectory.appending(directory)),
                (try? ContentHash.of(file: file)) == builtDigest
            {
                return (directory, file)
            }
        }
        return nil
    }

    /// The install record of this kernel: kmodmgr's own if it has one, else one naming the files DKMS installed,
    /// where they are. The modules' rivals are what they override; DKMS's `original_module` copies become
    /// displaced modules that uninstall puts back where DKMS would (`<kver>/<DEST_MODULE_LOCATION>/`).
    func importInstall(build: BuildRecord) throws(LifecycleError) -> DKMSImport.Outcome {
        let release = dkms.release
        do {
            if try context.state.installed(package.name, package.version, release: release, arch: dkms.arch) != nil {
                return .alreadyKnown
            }
        } catch {
            throw .state(error)
        }
        let manifest = try storedManifest(build: build)
        let moduleDirectory = context.root.moduleDirectory(release: release)
        let rivals = ModuleRivals(root: context.root, release: release)
        var modules = [InstalledModule]()
        var overridden = [OverriddenModule]()
        var displaced = [DisplacedModule]()
        var compression = CompressionFormat.none
        var created = [String]()
        for declaration in manifest.modules {
            guard let (directory, file) = installedFile(of: declaration, in: moduleDirectory) else {
                // DKMS's version check refuses, silently, to install over a same-named module it finds newer or equal
                // (tp-smapi's hdaps against the kernel's own): the install stands without it, as DKMS left it.
                let name = ModuleFileName.moduleName(ofFileName: declaration.destName + ".ko")
                if let kept = rivals.files(named: name).first {
                    context.diagnostics.note(
                        "\(package.name)/\(package.version), \(release): DKMS never installed \(declaration.destName).ko (its version check kept \(kept.systemPath)); imported without it"
                    )
                    continue
                }
                throw .notBuilt(
                    name: package.name, version: package.version, release: release,
                    reason: "DKMS says installed, but \(declaration.destName).ko is in none of "
                        + Self.installDirectories(of: declaration).joined(separator: ", "))
            }
            let installed = rivals.file(atRelativePath: "\(directory)/\(file.lastComponent!.string)")
            do {
                modules.append(InstalledModule(name: installed.name, path: installed.systemPath, digest: try ContentHash.of(file: file)))
            } catch {
                throw .system(error)
            }
            compression = CompressionFormat.ofModuleFileName(installed.systemPath) ?? .none
            // DKMS made updates/dkms; like its prerm hook, the last uninstall removes it once empty.
            if directory == "updates/dkms" { created = [context.root.systemPath(of: moduleDirectory.appending(directory))] }
            for rival in rivals.files(named: installed.name) where rival.systemPath != installed.systemPath {
                if rivals.outranks(installed, rival) { overridden.append(OverriddenModule(name: installed.name, path: rival.systemPath)) }
            }
            if let original = dkms.originals.first(where: {
                ModuleFileName.moduleName(ofFileName: $0.lastComponent!.string) == installed.name
            }) {
                displaced.append(try keepOriginal(original, module: installed.name, declaration: declaration))
            }
        }
        var record = InstallRecord(
            transaction: "import-dkms", build: build.build, time: Int(time(nil)), compression: compression.rawValue,
            modules: modules, displaced: displaced, overridden: overridden, createdDirectories: created)
        record.bootCritical = context.settings.isBootCritical(package: package.name, remakeInitrd: manifest.remakeInitrd)
        do {
            try context.state.commitInstall(record, package.name, package.version, release: release, arch: dkms.arch)
        } catch {
            throw .state(error)
        }
        return .installed
    }

    /// The manifest the build was recorded with (its result's `manifest.json`).
    private func storedManifest(build: BuildRecord) throws(LifecycleError) -> PackageManifest {
        try StoredManifest.read(
            context.state.tree.manifest(package.name, package.version, release: dkms.release, arch: dkms.arch, build: build.build))
    }

    /// A copy of DKMS's `original_module` file in kmodmgr's displaced backups (DKMS's stays where it is), and where
    /// DKMS would put it back.
    private func keepOriginal(_ original: FilePath, module: String, declaration: ModuleDeclaration) throws(LifecycleError)
        -> DisplacedModule
    {
        let fileName = original.lastComponent!.string
        let location = String(declaration.destLocation.drop { $0 == "/" })
        let relative = location.isEmpty ? fileName : "\(location)/\(fileName)"
        let backup = context.state.tree.displacedBackup(
            package.name, package.version, release: dkms.release, arch: dkms.arch, relativePath: relative)
        let bytes: [UInt8]
        do {
            bytes = try BoundedFileRead.read(original, limit: BuildResultStore.moduleSizeLimit)
        } catch {
            throw .system(SystemError("read DKMS's original module (\(error)) at", path: original, errno: .invalidArgument))
        }
        do throws(SystemError) {
            // Written whole or not at all (a killed import is run again): never a half copy under the name.
            try FileTree.makeDirectories(backup.removingLastComponent())
            try AtomicFile.write(bytes, to: backup)
            return DisplacedModule(
                name: module,
                original: context.root.systemPath(of: context.root.moduleDirectory(release: dkms.release).appending(relative)),
                backup: context.root.systemPath(of: backup), digest: try ContentHash.of(file: backup))
        } catch {
            throw .system(error)
        }
    }
}

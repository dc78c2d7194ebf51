import DKMSConf
import Kernels
import StateStore
import SystemSupport

/// Why a lifecycle command could not do what was asked. Each case renders as one line naming the package, file or
/// kernel concerned; the CLI maps cases to exit codes.
public enum LifecycleError: Error, Sendable, CustomStringConvertible {
    case system(SystemError)
    case state(StateError)
    case manifest(ManifestError)
    case kernel(KernelError)
    case configuration(file: String, line: Int, reason: String)
    /// `add` of something that is neither a directory with a dkms.conf nor a registered-looking NAME/VERSION.
    case noSource(String)
    case missingManifest(directory: String)
    case alreadyAdded(name: String, version: String)
    /// `add` of a directory whose copy would replace an existing source tree.
    case sourceExists(String)
    case notAdded(name: String, version: String)
    case nameMismatch(file: String, declared: String, expected: String)
    case invalidReference(String)
    case unknownBuildUser(String)
    case noKernelsGiven
    case lock(LockError)
    /// Install of a package whose build for that kernel did not succeed.
    case notBuilt(name: String, version: String, release: String, reason: String)
    /// Two packages would install the same module name for one kernel.
    case moduleConflict(module: String, package: String, owner: String, release: String)
    /// A same-named module already there is newer than the one being installed (DKMS's version check).
    case newerModulePresent(module: String, path: String, present: String, ours: String)
    /// A built module could not be stripped or compressed for installation.
    case modulePreparation(path: String, reason: String)
    /// A step of an install or uninstall failed; everything it did was undone.
    case transactionFailed(package: String, release: String, reason: String)
    /// The kernel's index could not be rebuilt; the files are in place and the next command retries.
    case indexing(release: String, reason: String)
    /// LoadCheck says the kernel will refuse a built module; nothing was installed.
    case incompatible(package: String, release: String, reasons: [String])
    /// A signing key could not be read, made or used (the message names the file).
    case signing(String)
    /// A dkms.conf script (`PRE_INSTALL`) failed, and what it guards did not happen.
    case scriptFailed(script: String, package: String, how: String, log: String)
    /// An install of an older version of a package over a newer one, not forced.
    case newerVersionInstalled(package: String, installed: String, offered: String, release: String)
    /// Signing was asked for and the root has no key (`SigningKeyDiscovery`).
    case noSigningKey(root: String)
    /// `key generate` without `--force` where kmodmgr's own key exists.
    case signingKeyExists(path: String)

    public var description: String {
        switch self {
        case .system(let error): error.description
        case .state(let error): error.description
        case .manifest(let error): error.description
        case .kernel(let error): error.description
        case .configuration(let file, let line, let reason): "\(file):\(line): \(reason)"
        case .noSource(let argument):
            "'\(argument)' is neither a directory holding a dkms.conf nor NAME/VERSION of a source in the source tree"
        case .missingManifest(let directory): "\(directory): no dkms.conf"
        case .alreadyAdded(let name, let version): "\(name)/\(version) is already added (use --force to add it again)"
        case .sourceExists(let directory): "\(directory) already exists (use --force to replace it with the directory given)"
        case .notAdded(let name, let version): "\(name)/\(version) is not added"
        case .nameMismatch(let file, let declared, let expected):
            "\(file): declares \(declared), but its directory says \(expected)"
        case .invalidReference(let text): "'\(text)' is not NAME/VERSION"
        case .unknownBuildUser(let user): "build user '\(user)' does not exist (build_user in /etc/kmodmgr/kmodmgr.conf)"
        case .noKernelsGiven: "no kernel given: use -k KVER (several allowed) or --all-kernels"
        case .lock(let error): error.description
        case .notBuilt(let name, let version, let release, let reason): "\(name)/\(version) is not built for \(release): \(reason)"
        case .moduleConflict(let module, let package, let owner, let release):
            "\(package) cannot install module \(module) for \(release): \(owner) has installed a module of that name"
        case .newerModulePresent(let module, let path, let present, let ours):
            "module \(module) not installed: \(path) has version \(present), newer than \(ours) (use --force to install anyway)"
        case .modulePreparation(let path, let reason): "\(path): \(reason)"
        case .transactionFailed(let package, let release, let reason):
            "\(package) for \(release): \(reason); nothing was changed"
        case .incompatible(let package, let release, let reasons):
            "\(package): \(release) will refuse it: \(reasons.joined(separator: "; ")) (not installed; --force installs anyway)"
        case .signing(let message): message
        case .newerVersionInstalled(let package, let installed, let offered, let release):
            "\(package)/\(installed) is installed for \(release), newer than \(offered) (--force installs the older one)"
        case .scriptFailed(let script, let package, let how, let log):
            "\(script) of \(package) failed (\(how)), so it was not installed (--force installs anyway); log: \(log)"
        case .noSigningKey(let root):
            "no signing key under \(root): make one with 'kmodmgr key generate\(root == "/" ? "" : " --root \(root)")'"
        case .signingKeyExists(let path): "\(path) exists already: --force replaces it (then run 'kmodmgr sign --all')"
        case .indexing(let release, let reason):
            "indexing \(release) failed: \(reason) (the modules are in place; the next kmodmgr command retries)"
        }
    }
}

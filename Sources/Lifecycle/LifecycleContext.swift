import DKMSConf
import StateStore
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What every lifecycle command works with: the root, the settings read under it, the state tree, where
/// diagnostics go, and who builds.
public struct LifecycleContext: Sendable {
    public let root: Root
    public let settings: Settings
    public let state: StateStore
    public let diagnostics: any DiagnosticSink
    /// The identity builds and dkms.conf evaluation run as: the build user when kmodmgr is root, else nil (the
    /// caller's own identity — already unprivileged).
    public let buildIdentity: ProcessIdentity?

    public init(root: Root, diagnostics: any DiagnosticSink) throws(LifecycleError) {
        let settings = try Settings.load(root: root, diagnostics: diagnostics)
        var identity: ProcessIdentity?
        if ProcessIdentity.canSwitchUser {
            guard let account = ProcessIdentity.account(named: settings.buildUser) else {
                throw .unknownBuildUser(settings.buildUser)
            }
            identity = account
        }
        self.init(root: root, settings: settings, diagnostics: diagnostics, buildIdentity: identity)
    }

    public init(root: Root, settings: Settings, diagnostics: any DiagnosticSink, buildIdentity: ProcessIdentity?) {
        self.root = root
        self.settings = settings
        self.state = StateStore(root: root)
        self.diagnostics = diagnostics
        self.buildIdentity = buildIdentity
    }

    /// `-j` for builds: the setting, or the number of online CPUs.
    public var parallelJobs: Int {
        settings.jobs > 0 ? settings.jobs : max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    var shellPolicy: ShellPolicy {
        settings.allowShellManifests ? .allowed(timeLimit: settings.manifestTimeLimit, identity: buildIdentity) : .forbidden
    }

    /// The state tree's lock, held by every transition.
    func lockState() throws(LifecycleError) -> DirectoryLock {
        do {
            return try state.lock()
        } catch {
            throw .state(error)
        }
    }

    /// The source directory of a registered package version, on this machine.
    func sourceDirectory(_ package: PackageRecord) -> FilePath {
        root.resolve(FilePath(package.source))
    }

    /// Evaluates a package's dkms.conf for one kernel (or none: `release` empty).
    func manifest(
        source: FilePath, release: String, arch: String, kernelSourceDirectory: String, dkmsTree: String
    ) async throws(LifecycleError) -> PackageManifest {
        var environment = ManifestEnvironment(
            kernelRelease: release, arch: arch, kernelSourceDirectory: kernelSourceDirectory, dkmsTree: dkmsTree,
            sourceTree: root.resolve(FilePath(settings.sourceTree)).string, installTree: root.resolve("/lib/modules").string,
            parallelJobs: parallelJobs)
        environment.module = source.lastComponent?.string ?? ""
        do {
            return try await ManifestLoader.load(
                source.appending("dkms.conf"), environment: environment, shell: shellPolicy, diagnostics: diagnostics)
        } catch {
            throw .manifest(error)
        }
    }
}

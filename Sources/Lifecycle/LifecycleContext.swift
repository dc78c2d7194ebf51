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
    /// What a mutating command does when another kmodmgr holds the state lock: wait (the default), or fail at once
    /// (`--no-wait`).
    public var contention: LockFile.Contention = .wait
    /// Whether a command regenerates the initramfs its transactions made stale (`--no-initramfs`: the kernel hooks,
    /// where the system's own generator runs next).
    public var regeneratesInitramfs = true
    /// Where long commands report builds starting and results as they come (the CLI's display); nil: nowhere.
    public var progress: (any ProgressReporter)?
    /// `--verbose`: each step of builds and installs is reported as a note (the make command, each module stripped,
    /// compressed and installed, the index update).
    public var reportsSteps = false
    /// The transactions this command committed, for deciding which initramfs images are stale.
    let initramfsDemand = InitramfsDemand()
    let postRemoveDemand = PostRemoveDemand()
    /// Re-indexes started early by this command's installs.
    let indexPreparations = IndexPreparations()
    /// The key this command's installs sign with, found once.
    let signingKeys = SigningKeys()

    /// The context under `root`: kmodmgr.conf's settings, with what DKMS's framework.conf sets that kmodmgr.conf
    /// leaves at its default (`DKMSFramework`).
    public init(root: Root, diagnostics: any DiagnosticSink) throws(LifecycleError) {
        let settings = DKMSFramework.read(root: root).applied(to: try Settings.load(root: root, diagnostics: diagnostics))
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

    /// Reports one step of the work when `--verbose` asked for them.
    func step(_ message: @autoclosure () -> String) {
        if reportsSteps { diagnostics.note(message()) }
    }

    /// `-j` for builds: the setting, or the number of online CPUs.
    public var parallelJobs: Int {
        settings.jobs > 0 ? settings.jobs : max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    var shellPolicy: ShellPolicy {
        settings.allowShellManifests ? .allowed(timeLimit: settings.manifestTimeLimit, identity: buildIdentity) : .forbidden
    }

    /// Takes the state lock that every mutating command holds for its whole run, then finishes whatever an
    /// interrupted command left (journals, stale indexes), so each command starts from a state that agrees with
    /// `lib/modules`. Waiting for another kmodmgr is announced as a note.
    func exclusive() throws(LifecycleError) -> LockFile {
        let lock: LockFile
        do {
            lock = try state.lock(contention: contention) { holder in
                diagnostics.note(
                    "waiting for " + (holder.map { "another kmodmgr (pid \($0))" } ?? "another kmodmgr")
                        + " to release \(state.tree.lockFile) (use --no-wait to fail instead)")
            }
        } catch {
            throw .lock(error)
        }
        try Recovery.finishInterrupted(context: self)
        return lock
    }

    /// The source directory of a registered package version, on this machine.
    func sourceDirectory(_ package: PackageRecord) -> FilePath {
        root.resolve(FilePath(package.source))
    }

    /// Evaluates a package's dkms.conf for one kernel (or none: `release` empty). `module` and `module_version` are
    /// the package's name and version, as DKMS sets them before it reads the file; empty for a directory being
    /// added (`package` nil), whose name the file is read to learn.
    func manifest(
        source: FilePath, release: String, arch: String, kernelSourceDirectory: String, dkmsTree: String,
        package: (name: String, version: String)?
    ) async throws(LifecycleError) -> PackageManifest {
        var environment = ManifestEnvironment(
            kernelRelease: release, arch: arch, kernelSourceDirectory: kernelSourceDirectory, dkmsTree: dkmsTree,
            sourceTree: root.resolve(FilePath(settings.sourceTree)).string, installTree: root.resolve("/lib/modules").string,
            parallelJobs: parallelJobs)
        environment.module = package?.name ?? ""
        environment.moduleVersion = package?.version ?? ""
        let overrides = package.map { overrideFiles(name: $0.name, version: $0.version, release: release, arch: arch) } ?? []
        do {
            return try await ManifestLoader.load(
                source.appending("dkms.conf"), overrides: overrides, environment: environment, shell: shellPolicy,
                diagnostics: diagnostics)
        } catch {
            throw .manifest(error)
        }
    }

    /// DKMS's per-package overrides, read after the package's dkms.conf in this order, those that exist:
    /// `/etc/dkms/NAME.conf`, `NAME-VERSION.conf`, `NAME-VERSION-KVER.conf`, `NAME-VERSION-KVER-ARCH.conf`.
    private func overrideFiles(name: String, version: String, release: String, arch: String) -> [FilePath] {
        var names = ["\(name).conf", "\(name)-\(version).conf"]
        if !release.isEmpty {
            names.append("\(name)-\(version)-\(release).conf")
            if !arch.isEmpty { names.append("\(name)-\(version)-\(release)-\(arch).conf") }
        }
        return names.map { root.resolve("/etc/dkms").appending($0) }.filter(FileTree.exists)
    }
}

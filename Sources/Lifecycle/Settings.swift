import Kernels
import SystemPackage
import SystemSupport

/// kmodmgr's own configuration, `<root>/etc/kmodmgr/kmodmgr.conf`: `key=value` lines, `#` comments. Read as
/// data (never sourced). Unknown keys are reported, not ignored.
public struct Settings: Sendable, Equatable {
    /// The unprivileged account builds and dkms.conf shell evaluation run as when kmodmgr runs as root.
    public var buildUser = "nobody"
    /// Whether a dkms.conf that needs bash may be evaluated at all (`shell_manifests=no` forbids it).
    public var allowShellManifests = true
    /// How long a dkms.conf may take to evaluate in bash.
    public var manifestTimeLimit: Duration = .seconds(10)
    /// How long one package's build for one kernel may take before it is ended, with every process it started
    /// (`build_time_limit` in seconds; 0: no limit).
    public var buildTimeLimit: Duration? = .seconds(1800)
    /// Parallel jobs per build (`-j`); 0 means the number of online CPUs.
    public var jobs = 0
    /// Where package sources are registered (`/usr/src`).
    public var sourceTree = "/usr/src"
    /// Where modules are installed: `updates/kmodmgr` (overrides in-tree modules through depmod's search order), or
    /// each module's `DEST_MODULE_LOCATION` from its dkms.conf (`install_location=manifest`).
    public var installLocation = InstallLocation.updates
    /// The compression installed modules get; nil means what the kernel uses (its modules, else its config).
    public var compression: String?
    /// Which initramfs generator runs after a transaction that needs it: `auto` (the one the system has), a named
    /// one, or `never`.
    public var initramfs = InitramfsPolicy.auto
    /// Packages whose modules belong in the initramfs, as if their dkms.conf said `REMAKE_INITRD=yes`.
    public var initramfsPackages: Set<String> = []
    /// The `CROSS_COMPILE=` prefix per target architecture, keyed by kbuild's name (`cross_compile_arm64=
    /// aarch64-linux-gnu-`); without one, the GNU triplet's prefix is looked for on the build's PATH.
    public var crossCompile: [String: String] = [:]
    /// Whether modules are signed for kernels that check signatures (`CONFIG_MODULE_SIG`): `auto`, or `never`.
    public var signModules = true
    /// The signing key and its certificate (`mok_signing_key`, `mok_certificate`: DKMS's names), paths inside the
    /// root; nil: discovered (`SigningKeyDiscovery`).
    public var signingKey: FilePath?
    public var signingCertificate: FilePath?
    /// The `mokutil` program asked about Secure Boot and enrolment (a path on this machine, not in the root); nil:
    /// `/usr/bin/mokutil`, on the live system only (see `SecureBoot.mokutil`).
    public var mokutil: FilePath?

    /// Whether package `name` belongs in the initramfs: its dkms.conf says `REMAKE_INITRD=yes` (as read when it was
    /// installed), or `initramfs_packages` names it. The one place that decides it.
    func isBootCritical(package name: String, remakeInitrd: Bool) -> Bool {
        remakeInitrd || initramfsPackages.contains(name)
    }

    public enum InitramfsPolicy: String, Sendable, Equatable {
        case auto, never
        case updateInitramfs = "update-initramfs"
        case dracut, mkinitcpio
    }

    public enum InstallLocation: String, Sendable, Equatable {
        case updates, manifest
    }

    public init() {}

    public static let file: FilePath = "/etc/kmodmgr/kmodmgr.conf"

    /// The settings under `root`; defaults when the file does not exist.
    public static func load(root: Root, diagnostics: some DiagnosticSink) throws(LifecycleError) -> Settings {
        let path = root.resolve(file)
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path)
        } catch {
            if error.errno == .noSuchFileOrDirectory { return Settings() }
            throw .system(error)
        }
        var settings = Settings()
        for (index, raw) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let line = String(decoding: raw, as: UTF8.self).trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw .configuration(file: path.string, line: index + 1, reason: "expected key=value")
            }
            let key = String(line[..<equals]).trimmingWhitespace()
            let value = String(line[line.index(after: equals)...]).trimmingWhitespace()
            func invalid() -> LifecycleError {
                .configuration(file: path.string, line: index + 1, reason: "invalid value '\(value)' for \(key)")
            }
            switch key {
            case "build_user": settings.buildUser = value
            case "shell_manifests":
                switch value.lowercased() {
                case "yes", "allowed", "true", "1": settings.allowShellManifests = true
                case "no", "forbidden", "false", "0": settings.allowShellManifests = false
                default: throw invalid()
                }
            case "manifest_time_limit":
                guard let seconds = Int(value), seconds > 0 else { throw invalid() }
                settings.manifestTimeLimit = .seconds(seconds)
            case "build_time_limit":
                guard let seconds = Int(value), seconds >= 0 else { throw invalid() }
                settings.buildTimeLimit = seconds == 0 ? nil : .seconds(seconds)
            case "jobs":
                guard let jobs = Int(value), jobs >= 0 else { throw invalid() }
                settings.jobs = jobs
            case "source_tree":
                guard value.hasPrefix("/") else { throw invalid() }
                settings.sourceTree = value
            case "install_location":
                guard let location = InstallLocation(rawValue: value) else { throw invalid() }
                settings.installLocation = location
            case "compression":
                guard ["auto", "none", "gzip", "xz", "zstd"].contains(value) else { throw invalid() }
                settings.compression = value == "auto" ? nil : value
            case "initramfs":
                guard let policy = InitramfsPolicy(rawValue: value) else { throw invalid() }
                settings.initramfs = policy
            case "initramfs_packages":
                settings.initramfsPackages = Set(value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init))
            case "module_signing":
                guard value == "auto" || value == "never" else { throw invalid() }
                settings.signModules = value == "auto"
            case "mok_signing_key", "mok_certificate", "mokutil":
                guard value.hasPrefix("/"), !value.contains("$") else { throw invalid() }
                switch key {
                case "mok_signing_key": settings.signingKey = FilePath(value)
                case "mok_certificate": settings.signingCertificate = FilePath(value)
                default: settings.mokutil = FilePath(value)
                }
            case _ where key.hasPrefix("cross_compile_"):
                guard let architecture = Architecture.named(String(key.dropFirst("cross_compile_".count))),
                    !value.isEmpty, !value.contains(where: { $0 == " " || $0 == "$" || $0 == "`" || $0 == ";" })
                else { throw invalid() }
                settings.crossCompile[architecture.kbuild] = value
            default:
                diagnostics.warning("unknown setting '\(key)' ignored", file: path, line: index + 1)
            }
        }
        if (settings.signingKey == nil) != (settings.signingCertificate == nil) {
            throw .configuration(
                file: path.string, line: 0, reason: "mok_signing_key and mok_certificate go together: set both or neither")
        }
        return settings
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(
            drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" })
                .reversed())
    }
}

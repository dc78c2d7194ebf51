import SystemPackage
import SystemSupport

/// DKMS's own settings, `/etc/dkms/framework.conf` and `/etc/dkms/framework.conf.d/*.conf`: an admin who set
/// something there for DKMS keeps it where kmodmgr has the same thing (every command applies it under what
/// kmodmgr.conf sets, so that the kernel hooks sign with the key DKMS signed with), and the drop-in `dkms` says
/// where it has not. DKMS sources these files with bash; here they are read as `key=value` lines (quotes taken
/// off, `#` comments skipped) and never run — a line that needs a shell is named as such.
public struct DKMSFramework: Sendable, Equatable {
    /// A setting read, with where it was.
    public struct Setting: Sendable, Equatable {
        public let key: String
        public let value: String
        public let file: String
        public let line: Int
    }

    /// What becomes of a setting.
    public enum Meaning: Sendable, Equatable {
        /// kmodmgr does the same with it (when kmodmgr.conf does not say otherwise).
        case honoured
        /// Nothing in kmodmgr corresponds; the reason says what kmodmgr does instead.
        case ignored(String)
    }

    public let settings: [Setting]

    public static let files: [FilePath] = ["/etc/dkms/framework.conf"]
    public static let directory: FilePath = "/etc/dkms/framework.conf.d"

    /// The settings under `root`, in DKMS's order (framework.conf, then the directory's `*.conf` by name; a later
    /// setting of a key wins).
    public static func read(root: Root) -> DKMSFramework {
        var files = files
        files += DirectoryListing.names(in: root.resolve(directory)).filter { $0.hasSuffix(".conf") }.sorted()
            .map { directory.appending($0) }
        var settings = [Setting]()
        for file in files {
            guard let bytes = try? BoundedFileRead.read(root.resolve(file), limit: 1 << 20) else { continue }
            for (index, raw) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
                let text = String(decoding: raw, as: UTF8.self).trimmingWhitespace()
                guard !text.isEmpty, !text.hasPrefix("#"), let equals = text.firstIndex(of: "=") else { continue }
                let key = String(text[..<equals])
                var value = String(text[text.index(after: equals)...])
                if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
                    value = String(value.dropFirst().dropLast())
                }
                settings.append(Setting(key: key, value: value, file: file.string, line: index + 1))
            }
        }
        return DKMSFramework(settings: settings)
    }

    /// The last value set for `key`, when kmodmgr honours it (`meaning(of:)`).
    public func value(_ key: String) -> String? {
        settings.last { $0.key == key }.flatMap { Self.meaning(of: $0) == .honoured ? $0.value : nil }
    }

    /// What kmodmgr makes of `setting`.
    public static func meaning(of setting: Setting) -> Meaning {
        if setting.value.contains("$") || setting.value.contains("`") {
            return .ignored("its value needs a shell, and kmodmgr does not run framework.conf")
        }
        if setting.value.hasPrefix("pkcs11:") { return .ignored("kmodmgr signs with key files, not PKCS#11 tokens") }
        switch setting.key {
        case "autoinstall_all_kernels", "parallel_jobs", "mok_signing_key", "mok_certificate": return .honoured
        case "sign_file": return .ignored("kmodmgr signs in-process, byte for byte as sign-file does")
        case "dkms_tree", "source_tree", "install_tree":
            return .ignored("kmodmgr keeps its state in /var/lib/kmodmgr and installs under /lib/modules (use --root)")
        case "compress_gzip_opts", "compress_xz_opts", "compress_zstd_opts":
            return .ignored("kmodmgr compresses as the kernel's own modules are (compression= in kmodmgr.conf)")
        case "symlink_modules", "tmp_location", "verbose", "modprobe_on_install", "post_transaction":
            return .ignored("kmodmgr has no such setting")
        default: return .ignored("DKMS 3.0.10 has no such setting")
        }
    }

    /// `settings` with what this file sets and kmodmgr.conf leaves at its default.
    public func applied(to settings: Settings) -> Settings {
        var settings = settings
        if settings.jobs == 0, let jobs = value("parallel_jobs").flatMap(Int.init), jobs > 0 { settings.jobs = jobs }
        if settings.signingKey == nil && settings.signingCertificate == nil, let key = value("mok_signing_key"),
            let certificate = value("mok_certificate")
        {
            settings.signingKey = FilePath(key)
            settings.signingCertificate = FilePath(certificate)
        }
        return settings
    }

    /// `autoinstall_all_kernels`: any non-empty value, as DKMS tests it.
    public var autoinstallAllKernels: Bool { !(value("autoinstall_all_kernels") ?? "").isEmpty }
}

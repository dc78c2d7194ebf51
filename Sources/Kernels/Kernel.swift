import SystemPackage
import SystemSupport

/// One kernel that modules can be built for: discovered from its headers, never assumed.
public struct Kernel: Sendable, Hashable, Codable {
    /// `uname -r` of that kernel, e.g. `6.1.0-56-amd64`.
    public let release: String
    /// The machine name DKMS uses for it (`uname -m` style: `x86_64`, `aarch64`…).
    public let arch: String
    /// The kbuild directory on this machine (`lib/modules/<release>/build`, symlinks resolved).
    public let buildDirectory: String
    public let config: KernelConfig?
    /// `CONFIG_CC_VERSION_TEXT`: the compiler the kernel was built with, which its modules must be built with too.
    public var compiler: String? { config?["CONFIG_CC_VERSION_TEXT"] }
    /// Whether symbol versions (CRCs) are checked on load.
    public var hasModversions: Bool { config?.isEnabled("CONFIG_MODVERSIONS") ?? false }
    /// Whether the kernel checks module signatures, and whether it insists on them.
    public var signsModules: Bool { config?.isEnabled("CONFIG_MODULE_SIG") ?? false }
    public var requiresSignatures: Bool { config?.isEnabled("CONFIG_MODULE_SIG_FORCE") ?? false }
    public var signatureHash: String? { config?["CONFIG_MODULE_SIG_HASH"] }
    /// The compression its own `modules_install` applies (`none`, `gzip`, `xz`, `zstd`).
    public var configuredCompression: String {
        if config?.isEnabled("CONFIG_MODULE_COMPRESS_ZSTD") == true { return "zstd" }
        if config?.isEnabled("CONFIG_MODULE_COMPRESS_XZ") == true { return "xz" }
        if config?.isEnabled("CONFIG_MODULE_COMPRESS_GZIP") == true { return "gzip" }
        return "none"
    }
    /// SHA-256 over the header files that decide a module's ABI (config, symbol CRCs, release): equal digests mean
    /// a module built against one set of headers fits the other, whatever the package version says.
    public let headersDigest: String
    /// The metadata fingerprint of those files (`KernelInventory.headersStamp`), which `status` compares cheaply.
    public let headersStamp: String

    public init(
        release: String, arch: String, buildDirectory: String, config: KernelConfig?, headersDigest: String, headersStamp: String
    ) {
        self.release = release
        self.arch = arch
        self.buildDirectory = buildDirectory
        self.config = config
        self.headersDigest = headersDigest
        self.headersStamp = headersStamp
    }
}

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

import SystemPackage
import SystemSupport

/// What the preflight is asked about: one kernel under a root, and how it would be built.
public struct PreflightRequest: Sendable {
    public let release: String
    public let root: Root
    /// Headers given on the command line (`--kernel-source-dir`), a path on this machine; nil for the kernel's
    /// own `lib/modules/<release>/build`, resolved inside the root.
    public let buildDirectory: FilePath?
    /// The architecture asked for (`-a`, `uname -m` spelling); nil for the one the headers are configured for.
    public let arch: String?
    /// The cross prefixes configured per architecture, by kbuild's name (`cross_compile_arm64=` in kmodmgr.conf):
    /// the one for the target is chosen once the headers have told the target.
    public let crossCompilePrefixes: [String: String]
    /// The unprivileged user builds run as; nil when builds run as the caller.
    public let buildIdentity: ProcessIdentity?
    /// The state tree directory on this machine (builds happen below it).
    public let stateDirectory: FilePath
    /// `kmodmgr doctor` also runs the compiler to compare its version with the kernel's; the per-build preflight
    /// keeps to what a few `stat`s and small reads tell.
    public let thorough: Bool

    public init(
        release: String, root: Root, buildDirectory: FilePath? = nil, arch: String? = nil, crossCompilePrefixes: [String: String] = [:],
        buildIdentity: ProcessIdentity?, stateDirectory: FilePath, thorough: Bool = false
    ) {
        self.release = release
        self.root = root
        self.buildDirectory = buildDirectory
        self.arch = arch
        self.crossCompilePrefixes = crossCompilePrefixes
        self.buildIdentity = buildIdentity
        self.stateDirectory = stateDirectory
        self.thorough = thorough
    }
}

/// How to call kbuild for a kernel, as the preflight found it: what a build needs beyond the headers' directory.
public struct Toolchain: Sendable, Hashable {
    /// The target's `uname -m` name (`aarch64`).
    public let arch: String
    /// kbuild's `ARCH=` (`arm64`), nil when building for this machine's own arch.
    public let kbuildArch: String?
    /// kbuild's `CROSS_COMPILE=` (`aarch64-linux-gnu-`), nil when building for this machine's own arch.
    public let crossCompile: String?
    /// The compiler program kbuild will run (`gcc-12`, `aarch64-linux-gnu-gcc-12`).
    public let compiler: String
}

/// Everything the preflight found about one kernel.
public struct PreflightReport: Sendable {
    public let release: String
    /// The target arch (`uname -m` spelling); the headers' when they tell, else this machine's.
    public let arch: String
    /// The headers' directory on this machine, links resolved inside the root; nil when there is none.
    public let buildDirectory: FilePath?
    public let toolchain: Toolchain?
    public var findings: [Finding]
    /// How long the checks took (a build's log records it).
    public var elapsed: Duration = .zero

    public var fatal: Finding? { findings.first(where: \.isFatal) }
    public var isHealthy: Bool { findings.isEmpty }
}

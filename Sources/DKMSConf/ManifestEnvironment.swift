/// What a dkms.conf can see: the kernel it is read for and DKMS's directory settings. These become the variables
/// `kernelver`, `arch`, `kernel_source_dir`, `kernel_config`, `dkms_tree`, `source_tree`, `install_tree`, `module`,
/// `module_version` and `parallel_jobs`, in the native reading and in bash alike, and nothing else of kmodmgr's
/// environment reaches the file.
public struct ManifestEnvironment: Sendable, Hashable {
    /// The kernel release the manifest is resolved for; "" when not for a kernel (`add`), as in DKMS.
    public var kernelRelease: String
    /// The kernel's architecture (`uname -m` style); "" likewise.
    public var arch: String
    /// Normally `/lib/modules/<release>/build`.
    public var kernelSourceDirectory: String
    public var dkmsTree: String
    public var sourceTree: String
    public var installTree: String
    public var parallelJobs: Int
    /// `module` and `module_version`: the name and version the caller asked for ("" when reading a new package).
    public var module: String = ""
    public var moduleVersion: String = ""
    /// `kernel_config`: the kernel's `.config`; by default `<kernelSourceDirectory>/.config` (empty when there is no
    /// source directory).
    public var kernelConfig: String

    public init(
        kernelRelease: String, arch: String, kernelSourceDirectory: String, dkmsTree: String, sourceTree: String,
        installTree: String, parallelJobs: Int
    ) {
        self.kernelRelease = kernelRelease
        self.arch = arch
        self.kernelSourceDirectory = kernelSourceDirectory
        self.dkmsTree = dkmsTree
        self.sourceTree = sourceTree
        self.installTree = installTree
        self.parallelJobs = parallelJobs
        self.kernelConfig = kernelSourceDirectory.isEmpty ? "" : kernelSourceDirectory + "/.config"
    }

    /// The program search path bash gets; nothing else of kmodmgr's environment is passed on.
    public static let shellSearchPath = "/usr/sbin:/usr/bin:/sbin:/bin"

    /// Every variable a dkms.conf sees, by name: the documented DKMS variables plus `PATH` and `LC_ALL`. The shell
    /// path passes exactly these as bash's environment; the native path starts from the same map.
    public var shellVariables: [String: String] {
        [
            "PATH": Self.shellSearchPath, "LC_ALL": "C", "kernelver": kernelRelease, "arch": arch,
            "kernel_source_dir": kernelSourceDirectory, "kernel_config": kernelConfig, "dkms_tree": dkmsTree,
            "source_tree": sourceTree, "install_tree": installTree, "module": module, "module_version": moduleVersion,
            "parallel_jobs": String(parallelJobs),
        ]
    }
}

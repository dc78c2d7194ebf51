import SystemSupport

/// Why a kernel cannot be built against: each names the kernel, and what to do where there is something to do.
public enum KernelError: Error, Sendable, CustomStringConvertible {
    /// No headers at `lib/modules/<release>/build` (or the given directory); `package` is the Debian package that
    /// provides them.
    case missingHeaders(release: String, directory: String, package: String)
    /// A release name that is not a single safe path component.
    case invalidRelease(String)
    /// No kernel at all under the root.
    case noKernels(directory: String)
    case unreadable(SystemError)

    public var description: String {
        switch self {
        case .missingHeaders(let release, let directory, let package):
            "kernel \(release): no headers in \(directory) (install \(package))"
        case .invalidRelease(let release):
            "'\(release)' is not a kernel release name"
        case .noKernels(let directory):
            "no kernel found under \(directory)"
        case .unreadable(let error):
            error.description
        }
    }
}

import SystemSupport

/// The `BUILD_EXCLUSIVE_*` directives: the kernels, architectures and kernel configurations a package builds for.
///
/// `kernelMin`/`kernelMax` are honoured although DKMS 3.0.10 ignores them (later DKMS releases honour them, and
/// dm-writeboost and rapiddisk rely on them).
public struct BuildExclusive: Sendable, Equatable, Codable {
    /// `BUILD_EXCLUSIVE_KERNEL`: an extended regex the kernel release must match (unanchored, like bash's `=~`).
    public var kernel: String?
    /// `BUILD_EXCLUSIVE_ARCH`: an extended regex the architecture must match.
    public var arch: String?
    /// `BUILD_EXCLUSIVE_CONFIG`, split at blanks: `CONFIG_X` must be `y` or `m`, `!CONFIG_X` must not be.
    public var config: [String]
    /// `BUILD_EXCLUSIVE_KERNEL_MIN` / `_MAX`: inclusive bounds on the kernel version, compared number by number.
    public var kernelMin: String?
    public var kernelMax: String?
    /// The legacy `build_exclude=yes`: never build.
    public var forced: Bool

    public init(
        kernel: String? = nil, arch: String? = nil, config: [String] = [], kernelMin: String? = nil, kernelMax: String? = nil,
        forced: Bool = false
    ) {
        self.kernel = kernel
        self.arch = arch
        self.config = config
        self.kernelMin = kernelMin
        self.kernelMax = kernelMax
        self.forced = forced
    }

    /// A one-line reason why the package is not built for this kernel, or nil when nothing excludes it.
    ///
    /// `kernelConfig` maps `CONFIG_X` to its value in the kernel's `.config` (`y`, `m`, …); nil means there is no
    /// `.config`, and then, as in DKMS, the configuration excludes nothing.
    public func exclusionReason(kernelRelease: String, arch machine: String, kernelConfig: [String: String]?) -> String? {
        if forced { return "build_exclude is set in dkms.conf" }
        if let kernel, !Self.matches(kernel, kernelRelease) {
            return "BUILD_EXCLUSIVE_KERNEL \(shellQuotedForMessage(kernel)) does not match \(kernelRelease)"
        }
        if let arch, !Self.matches(arch, machine) {
            return "BUILD_EXCLUSIVE_ARCH \(shellQuotedForMessage(arch)) does not match \(machine)"
        }
        if let kernelMin, KernelVersion.compare(kernelRelease, kernelMin) == .orderedAscending {
            return "BUILD_EXCLUSIVE_KERNEL_MIN \(shellQuotedForMessage(kernelMin)): \(kernelRelease) is older"
        }
        if let kernelMax, KernelVersion.compare(kernelRelease, kernelMax) == .orderedDescending {
            return "BUILD_EXCLUSIVE_KERNEL_MAX \(shellQuotedForMessage(kernelMax)): \(kernelRelease) is newer"
        }
        return Self.configReason(config, kernelConfig: kernelConfig)
    }

    /// Why `kernelConfig` does not meet `config` (`CONFIG_X` must be `y` or `m`, `!CONFIG_X` must not be), or nil;
    /// nil too when there is no `.config` (`kernelConfig` nil), as in DKMS.
    public static func configReason(_ config: [String], kernelConfig: [String: String]?) -> String? {
        guard let kernelConfig else { return nil }
        for entry in config {
            let negated = entry.hasPrefix("!")
            let option = negated ? String(entry.dropFirst()) : entry
            let enabled = kernelConfig[option] == "y" || kernelConfig[option] == "m"
            if negated && enabled { return "BUILD_EXCLUSIVE_CONFIG: \(option) is enabled in the kernel configuration" }
            if !negated && !enabled { return "BUILD_EXCLUSIVE_CONFIG: \(option) is not enabled in the kernel configuration" }
        }
        return nil
    }

    /// A pattern that does not compile was refused when the manifest was made; should one slip through, it excludes.
    private static func matches(_ pattern: String, _ text: String) -> Bool {
        (try? ExtendedRegex(pattern))?.matches(text) ?? false
    }
}

/// Kernel versions compared the way people read them: the leading `N.N.N` of a release, number by number, with
/// missing numbers as 0 (`6.1.0-56-amd64` is 6.1.0, equal to `6.1`, newer than `5.19`).
public enum KernelVersion {
    public enum Order: Sendable, Equatable {
        case orderedAscending, orderedSame, orderedDescending
    }

    /// The numbers at the start of `release`, up to the first character that is neither a digit nor a dot.
    public static func components(_ release: String) -> [Int] {
        let prefix = release.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        return prefix.split(separator: ".", omittingEmptySubsequences: false).map { Int($0.prefix(9)) ?? 0 }
    }

    public static func compare(_ lhs: String, _ rhs: String) -> Order {
        let left = components(lhs)
        let right = components(rhs)
        for position in 0..<max(left.count, right.count) {
            let a = position < left.count ? left[position] : 0
            let b = position < right.count ? right[position] : 0
            if a != b { return a < b ? .orderedAscending : .orderedDescending }
        }
        return .orderedSame
    }
}

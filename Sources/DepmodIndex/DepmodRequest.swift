import SystemPackage
import SystemSupport

/// One indexing run, with the meaning of depmod(8)'s options.
public struct DepmodRequest: Sendable {
    /// Every path is taken under this root (`-b`, `--root`).
    public var root: Root
    /// The kernel release whose module directory is indexed; must start with `N.N`.
    public var kernelRelease: String
    /// `-C`: depmod.d directories or files, as given; nil means the default directories under the root.
    public var configurationLocations: [FilePath]?
    /// Module files to index instead of the whole tree (paths on this machine); nil means all modules (`-a`).
    public var explicitModules: [FilePath]?
    /// `-E` / `-F`: the kernel's own exported symbols.
    public var kernelSymbols: KernelSymbols?
    /// `-e`: report imports nothing provides, and CRC mismatches with `-E`.
    public var reportUnresolved = false
    /// `-P`: a character symbol names may start with, to ignore.
    public var symbolPrefix: Character?
    /// `-v`: explain each dependency.
    public var explain = false
    /// `-w`: warn about duplicate values in an index.
    public var warnDuplicates = false
    /// Node order of the `.bin` files.
    public var layout: IndexLayout = .v30
    /// The reuse layer (`Reuse/`): what earlier runs read from unchanged modules, index files whose inputs are
    /// unchanged, a command's directory listings. Off, everything is read and made afresh — same bytes.
    public var useCache = true
    /// Keep each index file whose inputs are the same as when the cache was written with it, and the file is
    /// still the one written then (`InputDigests`), instead of making and writing it again. Off for
    /// `kmodmgr depmod`, which, like depmod, warns about malformed input on every run; the lifecycle's re-index,
    /// which keeps no warnings, turns it on.
    public var keepUnchangedFiles = false
    /// A re-index prepared by the command (its decoded parse cache and directory listings), for this module
    /// directory; ignored for another.
    public var preparation: IndexPreparation?

    public init(root: Root, kernelRelease: String) {
        self.root = root
        self.kernelRelease = kernelRelease
    }

    /// `preparation` if it is for this request's module directory.
    var usablePreparation: IndexPreparation? {
        guard useCache else { return nil }
        return preparation.flatMap { $0.moduleDirectory == moduleDirectory ? $0 : nil }
    }

    /// The module directory on this machine (`<root>/lib/modules/<kver>`).
    public var moduleDirectory: FilePath { root.moduleDirectory(release: kernelRelease) }

    /// Whether `release` looks like a kernel release (`%u.%u` at the start, as depmod checks).
    public static func isKernelRelease(_ release: String) -> Bool {
        let parts = release.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let major = parts.first, !major.isEmpty, major.allSatisfy(\.isASCIINumber) else { return false }
        return parts[1].first?.isASCIINumber == true
    }
}

extension Character {
    fileprivate var isASCIINumber: Bool { isASCII && isNumber }
}

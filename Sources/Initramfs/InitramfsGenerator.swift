import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The program a system rebuilds its initramfs images with, and how to ask it for one kernel's image.
///
/// Facts only: nothing is run here. Lifecycle runs `executablePath(root:)` with `arguments(release:root:)` through
/// its process runner, and can then read the result with `InitramfsImage`.
public enum InitramfsGenerator: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// initramfs-tools (Debian, Ubuntu). Listed first, so that it is chosen when several are installed.
    case initramfsTools = "update-initramfs"
    /// dracut (Fedora, RHEL, SUSE; optional on Debian).
    case dracut
    /// mkinitcpio (Arch Linux).
    case mkinitcpio

    /// The directories searched for the command, in this order, as seen inside the root.
    public static let searchDirectories: [FilePath] = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]

    /// The command's name, which is also how a setting names the generator.
    public var executableName: String { rawValue }

    public var description: String { rawValue }

    /// The generator a setting names: `update-initramfs` (or its package's name, `initramfs-tools`), `dracut` or
    /// `mkinitcpio`; nil for any other word.
    public init?(setting: String) {
        if setting == "initramfs-tools" {
            self = .initramfsTools
        } else {
            self.init(rawValue: setting)
        }
    }

    /// The generator installed under `root`: the first, in declaration order, whose command is an executable file in
    /// one of `searchDirectories`; nil when there is none (a container, or a system booting without an initramfs).
    public static func detect(root: Root) -> InitramfsGenerator? {
        allCases.first { $0.executablePath(root: root) != nil }
    }

    /// The command as a path inside the root (`/usr/sbin/update-initramfs`), or nil when it is not installed.
    public func executablePath(root: Root) -> FilePath? {
        Self.searchDirectories.lazy.map { $0.appending(executableName) }.first { Self.isExecutableFile(root.resolve($0)) }
    }

    /// The arguments that make the command rebuild the image of kernel `release` (paths as seen inside the root).
    ///
    /// - update-initramfs: `-u -k RELEASE`, which also creates a missing image.
    /// - dracut: `--force --kver RELEASE IMAGE`. The image is named explicitly, as Debian's kernel hook names it,
    ///   because dracut's own default depends on its version, its distribution's patches and the boot loader layout
    ///   (`/boot/initrd.img-RELEASE`, `/boot/initramfs-RELEASE.img`, a BLS directory): the current image when there is
    ///   one (`imagePath`), else Debian's name on Debian; elsewhere, with no current image, dracut chooses.
    /// - mkinitcpio: `-P`, every preset: Arch names images by preset (`initramfs-linux.img`), not by release, so the
    ///   preset that builds this release's image is not known.
    public func arguments(release: String, root: Root) -> [String] {
        switch self {
        case .initramfsTools:
            return ["-u", "-k", release]
        case .dracut:
            var arguments = ["--force", "--kver", release]
            if let image = currentImage(release: release, root: root) ?? debianImageOnDebian(release: release, root: root) {
                arguments.append(image.string)
            }
            return arguments
        case .mkinitcpio:
            return ["-P"]
        }
    }

    /// The current image of kernel `release` on this machine (the root resolved), or nil when there is none:
    /// `/boot/initrd.img-RELEASE` (initramfs-tools; dracut on Debian), `/boot/initramfs-RELEASE.img` (dracut on
    /// Fedora). Always nil for mkinitcpio, whose image names do not say which kernel they are for.
    public func imagePath(release: String, root: Root) -> FilePath? {
        currentImage(release: release, root: root).map(root.resolve)
    }

    /// The image names this generator uses for `release`, as paths inside the root, in order of preference.
    private func imageNames(release: String) -> [FilePath] {
        switch self {
        case .initramfsTools: [Self.debianImage(release)]
        case .dracut: [Self.debianImage(release), FilePath("/boot/initramfs-\(release).img")]
        case .mkinitcpio: []
        }
    }

    /// The first of `imageNames` that is a regular file under `root`, as a path inside the root.
    private func currentImage(release: String, root: Root) -> FilePath? {
        // A release is one path component; anything else names no image (and must not reach outside /boot).
        guard !release.isEmpty, !release.contains("/"), release != "..", release != "." else { return nil }
        return imageNames(release: release).first { Self.isRegularFile(root.resolve($0)) }
    }

    /// Debian's image name when `root` is a Debian system (it has `/etc/debian_version`), else nil.
    private func debianImageOnDebian(release: String, root: Root) -> FilePath? {
        Self.isRegularFile(root.resolve("/etc/debian_version")) ? Self.debianImage(release) : nil
    }

    private static func debianImage(_ release: String) -> FilePath { FilePath("/boot/initrd.img-\(release)") }

    /// Whether `path` (symbolic links followed) is a regular file that someone may execute.
    private static func isExecutableFile(_ path: FilePath) -> Bool {
        guard let mode = fileMode(path) else { return false }
        return mode & S_IFMT == S_IFREG && mode & 0o111 != 0
    }

    private static func isRegularFile(_ path: FilePath) -> Bool {
        fileMode(path).map { $0 & S_IFMT == S_IFREG } ?? false
    }

    /// `st_mode` of `path`, following symbolic links; nil when `stat` fails.
    private static func fileMode(_ path: FilePath) -> mode_t? {
        var info = stat()
        guard path.withPlatformString({ stat($0, &info) }) == 0 else { return nil }
        return info.st_mode
    }
}

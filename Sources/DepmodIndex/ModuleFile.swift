import Codecs
import SystemPackage
import SystemSupport

/// A module file that will be indexed: its name, where kmodmgr reads it, and the path the index records.
public struct ModuleFile: Sendable, Hashable {
    /// The module name: the file name cut at its first `.`, with `-` turned into `_` (`snd-hda-intel.ko.xz` →
    /// `snd_hda_intel`). `.modinfo`'s `name=` is not used, as in depmod.
    public let name: String
    /// Where the file is on this machine (under the root).
    public let hostPath: FilePath
    /// The absolute path as the managed system sees it (inside the root), as a string.
    public let systemPath: String
    /// The path below the module directory (`kernel/fs/ext4/ext4.ko.xz`), or nil outside it (external dirs).
    public let relativePath: String?
    /// The file's `stat` when the directory walk took it (nil otherwise). Not part of the file's identity.
    public internal(set) var status: FileStatus?

    init(hostPath: FilePath, systemPath: String, moduleDirectory: String) {
        self.hostPath = hostPath
        self.systemPath = systemPath
        let prefix = moduleDirectory + "/"
        relativePath = systemPath.hasPrefix(prefix) ? String(systemPath.dropFirst(prefix.count)) : nil
        let slash = systemPath.utf8.lastIndex(of: UInt8(ascii: "/")).map { systemPath.utf8.index(after: $0) } ?? systemPath.utf8.startIndex
        name = ModuleFileName.moduleName(ofFileName: systemPath.utf8[slash...])
    }

    public static func == (lhs: ModuleFile, rhs: ModuleFile) -> Bool {
        lhs.hostPath == rhs.hostPath && lhs.systemPath == rhs.systemPath
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(hostPath)
        hasher.combine(systemPath)
    }

    /// What index files write for this module: the relative path, or the absolute one for external modules.
    public var indexedPath: String { relativePath ?? systemPath }

    /// The key `modules.order` lines are matched against: the relative path cut after the directory plus
    /// `name.count + 3` characters of the file name — `kernel/x/foo-bar.ko` for `kernel/x/foo-bar.ko.xz`.
    var orderKey: String? { relativePath(keepingFileNameBytes: name.utf8.count + 3) }

    /// The relative path up to the end of the module name, in the file's own spelling (`updates/foo-bar`): what
    /// depmod.d `override` lines and `search` directories are compared with.
    var stemPath: String? { relativePath(keepingFileNameBytes: name.utf8.count) }

    /// The relative path cut `count` bytes into the file name (nil outside the module directory).
    private func relativePath(keepingFileNameBytes count: Int) -> String? {
        guard let relativePath else { return nil }
        let utf8 = relativePath.utf8
        let directoryLength = utf8.lastIndex(of: UInt8(ascii: "/")).map { utf8.distance(from: utf8.startIndex, to: $0) + 1 } ?? 0
        return String(decoding: utf8.prefix(directoryLength + count), as: UTF8.self)
    }

    /// File names depmod considers at all: longer than, and ending in, `.ko`, `.ko.xz` or `.ko.zst`. (`.ko.gz` is
    /// not among them: Debian's kmod is built without zlib, so its depmod and libkmod ignore such files.)
    static func isModuleFileName(_ name: String) -> Bool {
        moduleExtensions.contains { name.utf8.count > $0.utf8.count && name.hasSuffix($0) }
    }

    static let moduleExtensions = [".ko", ".ko.xz", ".ko.zst"]
}

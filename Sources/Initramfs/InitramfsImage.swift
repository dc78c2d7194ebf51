import Codecs
import SystemPackage
import SystemSupport

/// What an initramfs image holds, read in-process: no `lsinitramfs`, `cpio` or decompressor is run.
///
/// The image is memory-mapped and read once from start to end; compressed parts are decompressed in 256 KiB
/// buffers that the cpio reader walks through without keeping them (see `ImageScanner` for the layout read).
public enum InitramfsImage {
    /// The paths of the image's members as stored, in the order the kernel unpacks them
    /// (`usr/lib/modules/6.1.0-9-amd64/kernel/fs/ext4/ext4.ko`, `.`, `kernel/x86/microcode/AuthenticAMD.bin`).
    /// A path stored in two archives (`.`, `kernel`) is listed twice. The `TRAILER!!!` entries are not members.
    public static func members(at path: FilePath) throws(InitramfsError) -> [String] {
        try entries(at: path).map(\.name)
    }

    /// The names of the kernel modules in the image: each regular file named `*.ko`, `*.ko.gz`, `*.ko.xz` or
    /// `*.ko.zst`, named as kmod names a module file (`path_to_modname`): its base name up to the first `.`, with
    /// every `-` made `_` (`crc32-pclmul.ko` → `crc32_pclmul`).
    public static func moduleNames(at path: FilePath) throws(InitramfsError) -> Set<String> {
        var names = Set<String>()
        for entry in try entries(at: path) where entry.isRegularFile {
            if let name = moduleName(ofPath: entry.name) { names.insert(name) }
        }
        return names
    }

    /// The module name of the member path `path`, or nil when it does not name a kernel module file.
    static func moduleName(ofPath path: String) -> String? {
        let fileName = path.utf8.split(separator: UInt8(ascii: "/")).last.map { String(decoding: $0, as: UTF8.self) } ?? path
        guard CompressionFormat.ofModuleFileName(fileName) != nil, !fileName.hasPrefix(".") else { return nil }
        return ModuleFileName.moduleName(ofFileName: fileName)
    }

    /// Every entry of the image at `path`.
    static func entries(at path: FilePath) throws(InitramfsError) -> [CpioEntry] {
        let outcome: Result<[CpioEntry], InitramfsError.Reason>
        do {
            outcome = try MappedFile.withMapping(path) { mapped in
                Result { () throws(InitramfsError.Reason) in try ImageScanner.entries(of: UnsafeRawBufferPointer(mapped)) }
            }
        } catch {
            throw InitramfsError(path: path, reason: .unreadable(error))
        }
        do { return try outcome.get() } catch { throw InitramfsError(path: path, reason: error) }
    }
}

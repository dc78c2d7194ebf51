import FuzzSupport
import Initramfs
import SystemPackage

// An initramfs image through `InitramfsImage` (the image scanner, ImageScanner.swift): plain newc cpio archives, NUL
// padding, compressed segments recognised by magic (gzip, xz, zstd decoded one stream at a time and read as one run
// while the same format follows; lz4, lzma, bzip2 and lzo named and refused), and every entry's header, name and
// skipped data in chunks of any size. The image is a scratch file that the public API maps, as it maps
// /boot/initrd.img-*.
//
// Invariants besides "no crash": the two public readers agree — every module name comes from a member path, and
// an image that lists its members also yields its module names.

private let image: FilePath = Fuzzing.scratchDirectory.appending("initrd.img")

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzzing.overwrite(image, with: Fuzzing.bytes(data, size))
    let members: [String]
    do {
        members = try InitramfsImage.members(at: image)
    } catch {
        _ = error.description
        do {
            _ = try InitramfsImage.moduleNames(at: image)
            Fuzzing.require(false, "moduleNames succeeds where members fails (\(error))")
        } catch {
            _ = error.description
        }
        return 0
    }
    do {
        let names = try InitramfsImage.moduleNames(at: image)
        Fuzzing.require(names.count <= members.count, "\(names.count) module names from \(members.count) members")
        for name in names {
            Fuzzing.require(!name.isEmpty && !name.contains("/") && !name.contains("-"), "module name '\(name)'")
        }
    } catch {
        Fuzzing.require(false, "members succeeds where moduleNames fails (\(error))")
    }
    return 0
}

// The cpio "newc" format (SVR4 portable, `cpio -H newc`), the only one the kernel unpacks
// (`init/initramfs.c`, `Documentation/driver-api/early-userspace/buffer-format.rst`).
//
// An archive is a sequence of entries, each:
//
//   offset  size  field
//        0     6  magic "070701", or "070702" when `check` holds a sum of the data bytes
//        6     8  c_ino        all numeric fields are 8 ASCII hex digits, upper or lower case, no prefix
//       14     8  c_mode       file type and permissions (S_IFREG 0o100000, S_IFDIR 0o040000, S_IFLNK 0o120000…)
//       22     8  c_uid
//       30     8  c_gid
//       38     8  c_nlink
//       46     8  c_mtime
//       54     8  c_filesize   bytes of data (a symbolic link's data is its target)
//       62     8  c_maj        device of the file
//       70     8  c_min
//       78     8  c_rmaj       device a special file stands for
//       86     8  c_rmin
//       94     8  c_namesize   bytes of the name, its terminating NUL included
//      102     8  c_check
//      110     -  the name, then NUL bytes up to a multiple of 4; then the data, then NUL bytes up to a multiple of 4
//
// Offsets are multiples of 4 counted from the start of the data the kernel is reading: the file for plain archives,
// the decompressed output for compressed ones. The entry named "TRAILER!!!" ends an archive; NUL padding (cpio pads
// to 512 bytes) and then another archive, or compressed data, may follow.

/// The fields of a newc header that decide what an entry is and where the next one starts.
struct CpioHeader: Equatable {
    static let size = 110
    /// Names longer than this (`PATH_MAX`, the terminating NUL included) are refused: the kernel skips such entries
    /// and no generator writes them, so one is taken as a sign of garbled data.
    static let maximumNameSize = 4096

    let mode: UInt32
    let fileSize: Int
    let nameSize: Int

    /// Why 110 bytes are not a newc header.
    enum Problem: Error, Equatable {
        case noMagic
        /// The magic of the old portable format (`cpio -H odc`), which the kernel does not read.
        case oldPortableFormat
        case badDigit(field: String)
        case badNameSize(Int)
    }

    private static let fieldNames = [
        "c_ino", "c_mode", "c_uid", "c_gid", "c_nlink", "c_mtime", "c_filesize", "c_devmajor", "c_devminor",
        "c_rdevmajor", "c_rdevminor", "c_namesize", "c_check",
    ]

    /// Parses the header in `bytes`, which holds exactly `size` bytes.
    init(_ bytes: [UInt8]) throws(Problem) {
        let magic = Array("07070".utf8)
        guard bytes.starts(with: magic) else { throw .noMagic }
        switch bytes[5] {
        case UInt8(ascii: "1"), UInt8(ascii: "2"): break
        case UInt8(ascii: "7"): throw .oldPortableFormat
        default: throw .noMagic
        }
        mode = try Self.field(1, of: bytes)
        fileSize = Int(try Self.field(6, of: bytes))
        nameSize = Int(try Self.field(11, of: bytes))
        guard nameSize > 0 && nameSize <= Self.maximumNameSize else { throw .badNameSize(nameSize) }
    }

    /// Field `index` (0 is `c_ino`): 8 hex digits.
    private static func field(_ index: Int, of bytes: [UInt8]) throws(Problem) -> UInt32 {
        var value: UInt32 = 0
        for offset in (6 + 8 * index)..<(14 + 8 * index) {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .badDigit(field: fieldNames[index])
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}

/// One member of an archive, as its header and name give it.
struct CpioEntry: Equatable {
    /// The path as stored (`usr/lib/modules/…`, `.`, `kernel/x86/microcode/GenuineIntel.bin`).
    let name: String
    let mode: UInt32

    var isRegularFile: Bool { mode & 0o170000 == 0o100000 }
}

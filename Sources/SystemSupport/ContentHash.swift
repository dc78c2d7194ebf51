import CCrypto
import SystemPackage

/// SHA-256 digests as lowercase hex, the form `sha256sum` prints, so an admin can check a record by hand.
/// (libcrypto does the hashing; `SHA256` below is the one place its context is handled.)
public enum ContentHash {
    public static func of(_ bytes: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(data: bytes)
        return hex(hasher.finalize())
    }

    public static func of(file: FilePath) throws(SystemError) -> String {
        of(try FileBytes.read(file))
    }

    /// One digest over a directory tree: every entry's relative path, kind, mode bits and contents (a symlink's
    /// target), in sorted order, so that any added, removed, renamed or changed file — or a changed mode —
    /// changes it. Nothing outside the tree is followed.
    public static func of(tree: FilePath) throws(SystemError) -> String {
        try digestAndStamp(tree: tree).digest
    }

    /// `of(tree:)` and `stamp(tree:)` from a single walk of the tree.
    public static func digestAndStamp(tree: FilePath) throws(SystemError) -> (digest: String, stamp: String) {
        let entries = try FileTree.walk(tree)
        var hasher = SHA256()
        for entry in entries {
            hasher.update(data: Array("\(entry.relativePath)\0\(entry.kind)\0\(String(entry.mode, radix: 8))\0".utf8))
            switch entry.kind {
            case .regularFile: hasher.update(data: try FileBytes.read(tree.appending(entry.relativePath)))
            case .symbolicLink: hasher.update(data: Array((entry.linkTarget ?? "").utf8))
            case .directory: break
            }
            hasher.update(data: [0])
        }
        return (hex(hasher.finalize()), stamp(entries))
    }

    /// A fingerprint of files' metadata only (size, modification time to the nanosecond, inode), by their names
    /// relative to `directory`: it changes whenever a file is rewritten, without reading any contents — cheap
    /// enough for `status` to compute for every package. Missing files count as such.
    public static func stamp(directory: FilePath, names: [String]) -> String {
        var hasher = SHA256()
        for name in names {
            let description =
                (try? FileBytes.status(directory.appending(name))).map { "\($0.size) \($0.modificationNanoseconds) \($0.inode)" }
                ?? "missing"
            hasher.update(data: Array("\(name)\0\(description)\n".utf8))
        }
        return hex(hasher.finalize())
    }

    /// A metadata fingerprint of a whole tree (names, kinds, sizes, times, inodes — what its walk already saw); a
    /// tree that cannot be walked stamps as "unreadable".
    public static func stamp(tree: FilePath) -> String {
        guard let entries = try? FileTree.walk(tree) else { return "unreadable" }
        return stamp(entries)
    }

    private static func stamp(_ entries: [FileTree.Entry]) -> String {
        var hasher = SHA256()
        for entry in entries where entry.kind != .directory {
            hasher.update(
                data: Array("\(entry.relativePath)\0\(entry.size) \(entry.modificationNanoseconds) \(entry.inode)\n".utf8))
        }
        return hex(hasher.finalize())
    }

    /// One digest over several named parts (e.g. the files of a kernel's headers that decide a module's ABI).
    public static func combining(_ parts: [(name: String, digest: String)]) -> String {
        var hasher = SHA256()
        for part in parts { hasher.update(data: Array("\(part.name)=\(part.digest)\n".utf8)) }
        return hex(hasher.finalize())
    }

    private static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(64)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// An incremental SHA-256 over libcrypto's EVP interface: the `EVP_MD_CTX` is created, fed and freed here only.
struct SHA256: ~Copyable {
    private let context: OpaquePointer

    init() {
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            fatalError("libcrypto cannot set up SHA-256")
        }
        self.context = context
    }

    mutating func update(data: [UInt8]) {
        data.withUnsafeBytes { buffer in _ = EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) }
    }

    consuming func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return Array(digest.prefix(Int(length)))
    }

    deinit { EVP_MD_CTX_free(context) }
}

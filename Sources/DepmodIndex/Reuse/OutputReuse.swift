import Codecs
import SystemPackage
import SystemSupport

/// What the parse cache remembers of one index file it was published with: the file's identity on disk and a
/// digest of everything its contents were made from.
struct OutputRecord: Sendable, Equatable {
    let size: Int
    let modificationNanoseconds: Int64
    let inode: UInt64
    /// A CRC-64 of the file's inputs (`InputDigests`); nil for files that are always made again.
    let inputDigest: [UInt8]?
}

/// Digests of what each index file is made from, so that a re-index can keep a file whose inputs did not change
/// instead of making and writing it again. Installing one module changes `modules.dep` and its `.bin` (always
/// made), and the alias files only if the module declares aliases; the symbol files only if it exports symbols;
/// the builtin files never. Each digest also covers the run's inputs besides the modules (depmod.d files,
/// `modules.order`, `modules.builtin*`, layout and symbol prefix: the `ModuleSet` fingerprint).
struct InputDigests {
    private var digests: [IndexFile: [UInt8]] = [:]

    init(modules: [ModuleFile], facts: [ModuleFacts], ownedSymbols: [(name: String, owner: Int)], fingerprint: String) {
        let common = Array(fingerprint.utf8) + [0]
        // Per `.modinfo` key, each module that has it: its position (the priority in `.bin` files), name, and
        // values. A module without aliases changes no alias file.
        func modinfoDigest(_ key: String) -> [UInt8] {
            var input = common
            input.reserveCapacity(facts.reduce(common.count) { $0 + $1.modinfo.count * 48 })
            for (position, (module, facts)) in zip(modules, facts).enumerated() where facts.modinfo.contains(where: { $0.key == key }) {
                withUnsafeBytes(of: UInt32(position).littleEndian) { input.append(contentsOf: $0) }
                input.append(contentsOf: module.name.utf8)
                for entry in facts.modinfo where entry.key == key {
                    input.append(0)
                    input.append(contentsOf: entry.value.utf8)
                }
                input.append(1)
            }
            return Self.digest(input)
        }
        // Each symbol with its owner's name and priority: the symbol files.
        func symbolsDigest() -> [UInt8] {
            var input = common
            input.reserveCapacity(common.count + ownedSymbols.count * 48)
            for symbol in ownedSymbols {
                input.append(contentsOf: symbol.name.utf8)
                input.append(0)
                input.append(contentsOf: modules[symbol.owner].name.utf8)
                input.append(0)
                withUnsafeBytes(of: UInt32(symbol.owner).littleEndian) { input.append(contentsOf: $0) }
            }
            return Self.digest(input)
        }
        let made = [0, 1, 2].parallelMap { part in
            switch part {
            case 0: modinfoDigest("alias")
            case 1: modinfoDigest("softdep")
            default: symbolsDigest()
            }
        }
        // modules.devname is made from aliases (`devname:`, `char-major-`…).
        for file in [IndexFile.alias, .aliasBin, .devname] { digests[file] = made[0] }
        digests[.softdep] = made[1]
        for file in [IndexFile.symbols, .symbolsBin] { digests[file] = made[2] }
        for file in [IndexFile.builtinBin, .builtinAliasBin] { digests[file] = Self.digest(common + Array(file.fileName.utf8)) }
    }

    /// How many bytes a digest has.
    static let digestLength = 8

    private static func digest(_ input: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: Checksum.crc64(input).littleEndian) { Array($0) }
    }

    /// The digest of `file`'s inputs; nil for `modules.dep` and `modules.dep.bin`, made from everything, and made
    /// every time.
    subscript(file: IndexFile) -> [UInt8]? { digests[file] }

    /// Whether the file on disk in `directory` is the one published from the same inputs: its record's digest
    /// matches and it is still the same file (size, modification time, inode: nobody rewrote it since).
    func isCurrent(_ file: IndexFile, record: OutputRecord?, in directory: FilePath) -> Bool {
        guard let digest = digests[file], let record, record.inputDigest == digest,
            let status = try? FileBytes.status(directory.appending(file.fileName))
        else { return false }
        return status.kind == .regularFile && Int(status.size) == record.size
            && status.modificationNanoseconds == record.modificationNanoseconds && status.inode == record.inode
    }
}

import Codecs
import ModuleELF
import SystemPackage

/// What indexing needs from one module file — exports, imports, and the `.modinfo` entries that feed index
/// files. Small enough to cache, so an unchanged module is never read twice.
public struct ModuleFacts: Sendable, Equatable {
    /// An exported symbol and its modversions CRC (nil without modversions).
    public typealias Export = ExportedSymbol
    /// An undefined symbol, the CRC the module expects, and whether the reference is weak.
    public typealias Import = ImportedSymbol

    public var exports: [Export] = []
    /// What the module imports: read from the file, or still encoded in the parse cache it came from.
    var importList = ImportList.read([])
    /// The imports, decoded if they are still in the parse cache's encoding.
    public var imports: [Import] {
        switch importList {
        case .read(let imports): imports
        case .cached(let cached): cached.decoded()
        }
    }
    /// `.modinfo` entries whose key depmod uses (`alias`, `softdep`), in section order.
    public var modinfo: [ModinfoEntry] = []
    /// Why the module could not be read; such a module is still listed, with nothing else known.
    public var unreadableReason: String?
    /// Whether the failure came from the system rather than the file's contents, so it is not cached.
    var failureMayPass = false

    public init() {}

    /// The keys of `.modinfo` that index files are made from.
    static let indexedKeys: Set<String> = ["alias", "softdep"]

    /// Facts read from the module file at `path` (decompressed once if needed). Failures become an unreadable
    /// module, as depmod lists a module it cannot read and goes on.
    static func read(_ path: FilePath, using reader: ScratchImageReader) -> ModuleFacts {
        let outcome: Result<KernelModule, Unreadable>
        do {
            outcome = try reader.withModuleImage(at: path) { image, format in
                // Debian's kmod has no zlib: its depmod and libkmod cannot read gzip modules, so neither do we.
                if format == .gzip { return .failure(Unreadable("gzip-compressed modules are not supported by kmod here")) }
                // libkmod refuses files shorter than its longest magic (6 bytes).
                if image.count < 6 { return .failure(Unreadable("file too short")) }
                return Result { () throws(ModuleELFError) in try KernelModule.parse(image: image, parts: [.modinfo, .symbols]) }
                    .mapError { Unreadable($0.description) }
            }
        } catch {
            switch error.reason {
            case .codec(let codec): return ModuleFacts(unreadable: codec.description)
            case .system(let system):
                // EMFILE, EIO, EACCES while a package is being unpacked…: worth trying again next run.
                var facts = ModuleFacts(unreadable: system.errno.description)
                facts.failureMayPass = true
                return facts
            }
        }
        switch outcome {
        case .failure(let failure): return ModuleFacts(unreadable: failure.reason)
        case .success(let module): return ModuleFacts(module)
        }
    }

    private struct Unreadable: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    init(unreadable reason: String) {
        unreadableReason = reason
    }

    init(_ module: KernelModule) {
        // The reader's arrays are kept as they are: no copy per module.
        exports = module.exports
        importList = .read(module.imports)
        modinfo = module.modinfo.filter { Self.indexedKeys.contains($0.key) }
    }

    /// The `.modinfo` values of `key`, in section order.
    func values(of key: String) -> [String] {
        modinfo.compactMap { $0.key == key ? $0.value : nil }
    }
}

/// A module's imports, as `ModuleFacts` holds them.
enum ImportList: Sendable {
    case read([ImportedSymbol])
    /// Left in the parse cache's bytes: resolution needs only each name's owner, which it finds by string number.
    case cached(CachedImports)

    var count: Int {
        switch self {
        case .read(let imports): imports.count
        case .cached(let cached): cached.count
        }
    }
}

extension ModuleFacts {
    public static func == (lhs: ModuleFacts, rhs: ModuleFacts) -> Bool {
        lhs.exports == rhs.exports && lhs.imports == rhs.imports && lhs.modinfo == rhs.modinfo
            && lhs.unreadableReason == rhs.unreadableReason && lhs.failureMayPass == rhs.failureMayPass
    }
}

extension ImportedSymbol {
    /// Whether the reference is weak (a missing provider is not an error).
    var isWeak: Bool { binding == .weak }

    init(name: String, crc: UInt64, isWeak: Bool) {
        self.init(name: name, crc: crc, binding: isWeak ? .weak : .strong)
    }
}

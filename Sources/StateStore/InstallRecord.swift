import SystemPackage

/// One module file kmodmgr put under `lib/modules`, with the SHA-256 of the bytes it wrote.
public struct InstalledModule: Sendable, Equatable {
    /// The module name (`hid_uclogic`).
    public let name: String
    /// The file, as the managed system sees it (`/lib/modules/<kver>/updates/kmodmgr/hid-uclogic.ko.xz`).
    public let path: String
    public let digest: String

    public init(name: String, path: String, digest: String) {
        self.name = name
        self.path = path
        self.digest = digest
    }
}

/// A module of the kernel's own tree (or another tool's) that an install moved aside into the state tree, to be put
/// back on uninstall.
public struct DisplacedModule: Sendable, Equatable {
    public let name: String
    /// Where it was, as the managed system sees it.
    public let original: String
    /// Where it is kept meanwhile (`…/<kver>/<arch>/displaced/<path below lib/modules/<kver>>`), as the system sees it.
    public let backup: String
    public let digest: String

    public init(name: String, original: String, backup: String, digest: String) {
        self.name = name
        self.original = original
        self.backup = backup
        self.digest = digest
    }
}

/// A same-named module left in place because the installed one outranks it in depmod's search order.
public struct OverriddenModule: Sendable, Equatable {
    public let name: String
    public let path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

/// `<state>/<name>/<version>/<kver>/<arch>/installed`: what an install put where. Its presence is what "installed"
/// means; it is written (atomically) as the last step of an install and removed as the first of an uninstall.
public struct InstallRecord: Sendable, Equatable {
    /// The transaction that wrote it (its journal has the same name while it runs).
    public var transaction: String
    /// The build whose modules were installed.
    public var build: String
    /// Seconds since the epoch.
    public var time: Int
    /// The compression the modules were installed with (`none`, `gzip`, `xz`, `zstd`).
    public var compression: String
    public var modules: [InstalledModule]
    public var displaced: [DisplacedModule]
    public var overridden: [OverriddenModule]
    /// Directories the install created under `lib/modules/<kver>`, deepest last; uninstall removes them if empty.
    public var createdDirectories: [String]
    /// What LoadCheck said the kernel will refuse, for modules installed anyway with `--force` (`MODULE: reason`).
    public var forcedProblems: [String] = []
    /// Whether the package's modules belong in the initramfs (`REMAKE_INITRD=yes`, or `initramfs_packages`), as it
    /// was when installed: uninstalling must regenerate the initramfs even if the dkms.conf is gone by then.
    public var bootCritical = false

    public init(
        transaction: String, build: String, time: Int, compression: String, modules: [InstalledModule],
        displaced: [DisplacedModule], overridden: [OverriddenModule], createdDirectories: [String]
    ) {
        self.transaction = transaction
        self.build = build
        self.time = time
        self.compression = compression
        self.modules = modules
        self.displaced = displaced
        self.overridden = overridden
        self.createdDirectories = createdDirectories
    }

    var record: RecordFormat {
        var record = RecordFormat()
        record.append("transaction", transaction)
        record.append("build", build)
        record.append("time", String(time))
        record.append("compression", compression)
        for module in modules { record.append("module", "\(module.name) \(module.path) \(module.digest)") }
        for module in displaced {
            record.append("displaced", "\(module.name) \(module.original) \(module.backup) \(module.digest)")
        }
        for module in overridden { record.append("overrides", "\(module.name) \(module.path)") }
        for directory in createdDirectories { record.append("created", directory) }
        for problem in forcedProblems { record.append("forced", problem) }
        if bootCritical { record.append("initramfs", "yes") }
        return record
    }

    public init(_ record: RecordFormat, file: FilePath) throws(StateError) {
        func required(_ key: String) throws(StateError) -> String { try record.required(key, file: file) }
        func fields(_ key: String, count: Int) throws(StateError) -> [[String]] {
            var result = [[String]]()
            for value in record.values(key) {
                let parts = value.split(separator: " ").map(String.init)
                guard parts.count == count else {
                    throw .malformedRecord(file: file.string, line: 0, reason: "'\(key)=\(value)' needs \(count) fields")
                }
                result.append(parts)
            }
            return result
        }
        self.init(
            transaction: try required("transaction"), build: try required("build"), time: Int(record.value("time") ?? "") ?? 0,
            compression: record.value("compression") ?? "none",
            modules: try fields("module", count: 3).map { InstalledModule(name: $0[0], path: $0[1], digest: $0[2]) },
            displaced: try fields("displaced", count: 4).map {
                DisplacedModule(name: $0[0], original: $0[1], backup: $0[2], digest: $0[3])
            },
            overridden: try fields("overrides", count: 2).map { OverriddenModule(name: $0[0], path: $0[1]) },
            createdDirectories: record.values("created"))
        forcedProblems = record.values("forced")
        bootCritical = record.value("initramfs") == "yes"
    }
}

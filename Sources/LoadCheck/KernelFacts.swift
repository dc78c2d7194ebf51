import Codecs
import DepmodIndex
import Kernels
import ModuleELF
import SystemPackage
import SystemSupport

/// What one kernel accepts, gathered from what is on disk for it — with or without its headers, so that the
/// check also runs on a machine (or in a VM) that only has the kernel and its modules: the config from the
/// headers or `/boot/config-KVER`; the exports and CRCs from the headers' `Module.symvers`; the kernel's own
/// `vermagic` and ELF machine from one of its own modules, else from the headers' `utsrelease.h` and config.
public struct KernelFacts: Sendable {
    public let release: String
    public let config: KernelConfig?
    /// The `vermagic` string the kernel compares modules' with (`6.1.0-56-amd64 SMP preempt mod_unload modversions `).
    public let vermagic: String?
    /// The ELF machine the kernel loads (62 = x86-64), nil if unknown.
    public let machine: UInt16?
    /// What vmlinux and the modules of the index export.
    public var symbols: KernelSymbolTable
    /// Where the symbol table came from, for messages (`…/Module.symvers`), nil when none was found.
    public let symbolSource: String?
    /// The names of the modules in the kernel's index (`modules.dep`): an export of a module not installed here
    /// cannot be resolved.
    public private(set) var installedModules: Set<String>
    /// Whether the kernel's own modules are installed (its index lists modules under `kernel/`). Without them (a
    /// root with headers only) a missing provider module proves nothing, and is not held against a module.
    public let hasOwnModules: Bool
    /// The keys the kernel trusts for modules, by issuer and serial, when its build tree keeps the certificates it
    /// embeds (`certs/x509_certificate_list`: `MODULE_SIG_KEY`'s and `SYSTEM_TRUSTED_KEYS`); nil when unknown
    /// (distribution headers do not ship them, and the MOK list is the firmware's).
    public var trustedSigners: Set<SignerName>?
    /// Whether signatures are enforced beyond the config: for the running kernel, `module.sig_enforce` or lockdown
    /// (which Secure Boot turns on where distributions tie the two).
    public var enforcesSignatures = false

    public var hasModversions: Bool {
        config?.isEnabled("CONFIG_MODVERSIONS") ?? (vermagic?.contains(" modversions") == true)
    }
    public var requiresSignatures: Bool { enforcesSignatures || (config?.requiresModuleSignatures ?? false) }
    public var checksSignatures: Bool { config?.checksModuleSignatures ?? false }
    public var forcesLoads: Bool { config?.isEnabled("CONFIG_MODULE_FORCE_LOAD") ?? false }
    public var decompressesInKernel: Bool { config?.isEnabled("CONFIG_MODULE_DECOMPRESS") ?? false }
    /// Whether a symbol missing from a module's `__versions` section is refused. Upstream Linux warns once and
    /// loads ("Broken toolchain"); Debian (and Ubuntu, which inherits the patch "module: Disable matching missing
    /// version CRC") fails closed. Told by the compiler text of the kernel's config; without a config, refused.
    public var refusesMissingSymbolVersions: Bool {
        config?["CONFIG_CC_VERSION_TEXT"].map { $0.contains("Debian") || $0.contains("Ubuntu") } ?? true
    }
    public var allowsMissingNamespaces: Bool { config?.isEnabled("CONFIG_MODULE_ALLOW_MISSING_NAMESPACE_IMPORTS") ?? false }

    public init(
        release: String, config: KernelConfig?, vermagic: String?, machine: UInt16?, symbols: KernelSymbolTable,
        symbolSource: String?, installedModules: Set<String>, hasOwnModules: Bool
    ) {
        self.release = release
        self.config = config
        self.vermagic = vermagic
        self.machine = machine
        self.symbols = symbols
        self.symbolSource = symbolSource
        self.installedModules = installedModules
        self.hasOwnModules = hasOwnModules
    }

    /// Adds what the modules at `paths` export, and their names, as if they were installed: the other modules of
    /// one install (a package's modules often use each other's exports), and modules installed but not yet indexed.
    public mutating func adding(modulesAt paths: [FilePath]) {
        for path in paths {
            guard let module = Self.readModule(path) else { continue }
            let name = ModuleFileName.moduleName(ofFileName: path.lastComponent?.string ?? "")
            installedModules.insert(name)
            for export in module.exports where symbols.exports[export.name] == nil {
                symbols.add(export.name, .init(crc: export.crc, owner: name, gplOnly: false, namespace: nil))
            }
        }
    }

    /// Gathers the facts of kernel `release` under `root`. Missing pieces stay nil; the check then says what it
    /// could not judge instead of guessing. With `modules`, the symbol table holds just what checking those module
    /// files needs (what they import), which spares reading the other 25,000 exports.
    /// `config`: the kernel's config when the caller has read it already (`config(release:root:)`).
    public static func discover(
        release: String, root: Root, checking modules: [FilePath]? = nil, config knownConfig: KernelConfig? = nil
    ) -> KernelFacts {
        let moduleDirectory = root.moduleDirectory(release: release)
        let build = buildDirectory(release: release, root: root)
        let config = knownConfig ?? self.config(release: release, root: root)
        let symversFile = build.appending("Module.symvers")
        let symvers = try? FileBytes.read(symversFile)
        let wanted = modules.map { paths in
            Set(paths.flatMap { readModule($0)?.imports.map(\.name) ?? [] }).union(["module_layout"])
        }
        var symbols = symvers.map { KernelSymbolTable(moduleSymvers: $0, only: wanted) } ?? KernelSymbolTable()
        var symbolSource = symvers == nil ? nil : symversFile.string
        // No headers: the running kernel names vmlinux's exports and the index its modules' (without CRCs). The
        // index alone cannot stand in: without vmlinux's exports every import would look unknown.
        if symvers == nil, let running = KernelSymbolTable.runningKernelExports(release: release, only: wanted) {
            symbols = running
            symbolSource = "/proc/kallsyms"
            if let indexed = try? FileBytes.read(moduleDirectory.appending("modules.symbols")) {
                symbols.addIndexedExports(indexed, only: wanted)
                symbolSource = "/proc/kallsyms and " + moduleDirectory.appending("modules.symbols").string
            }
        }

        let indexed = IndexedModules(release: release, root: root, withSystemPaths: false)
        let own = indexed.firstInTreeModule.flatMap(Self.readModule)
        let vermagic = own?.modinfoValue("vermagic") ?? constructedVermagic(release: release, config: config)
        var facts = KernelFacts(
            release: release, config: config, vermagic: vermagic, machine: own?.machine ?? machine(config: config),
            symbols: symbols, symbolSource: symbolSource, installedModules: indexed.names,
            hasOwnModules: indexed.firstInTreeModule != nil)
        // Out-of-tree modules of the index (other packages) export symbols Module.symvers does not list.
        facts.adding(modulesAt: indexed.outOfTreeModules)
        facts.trustedSigners = trustedSigners(build: build)
        facts.enforcesSignatures = root.isSystemRoot && RunningKernel.release == release && runningKernelEnforcesSignatures()
        return facts
    }

    /// The certificates the kernel's build embedded, if its tree kept them.
    static func trustedSigners(build: FilePath) -> Set<SignerName>? {
        var names = Set<SignerName>()
        var found = false
        for file in ["certs/x509_certificate_list", "certs/signing_key.x509"] {
            guard let bytes = try? FileBytes.read(build.appending(file)) else { continue }
            found = true
            names.formUnion(SignerName.ofCertificates(bytes))
        }
        return found ? names : nil
    }

    /// `/sys/module/module/parameters/sig_enforce` says `Y`, or lockdown is on (`/sys/kernel/security/lockdown`
    /// names `[integrity]` or `[confidentiality]`), which refuses unsigned modules as enforcement does.
    static func runningKernelEnforcesSignatures() -> Bool {
        if (try? FileBytes.read("/sys/module/module/parameters/sig_enforce"))?.first == UInt8(ascii: "Y") { return true }
        guard let lockdown = try? FileBytes.read("/sys/kernel/security/lockdown") else { return false }
        let text = String(decoding: lockdown, as: UTF8.self)
        return text.contains("[integrity]") || text.contains("[confidentiality]")
    }

    /// The `vermagic` of the kernel's own modules (the first one under `kernel/` its `modules.dep` lists), which
    /// names the release the kernel really has; nil when its modules are not there.
    public static func ownVermagic(release: String, root: Root) -> String? {
        let moduleDirectory = root.moduleDirectory(release: release)
        guard let bytes = try? FileBytes.read(moduleDirectory.appending("modules.dep")) else { return nil }
        let prefix = Array("kernel/".utf8)
        var lineStart = 0
        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            if bytes[lineStart...].starts(with: prefix), let colon = bytes[lineStart..<lineEnd].firstIndex(of: UInt8(ascii: ":")) {
                let relative = String(decoding: bytes[lineStart..<colon], as: UTF8.self)
                return readModule(moduleDirectory.appending(relative))?.modinfoValue("vermagic")
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// The config of kernel `release`: its headers', else `/boot/config-<release>`.
    public static func config(release: String, root: Root) -> KernelConfig? {
        let build = buildDirectory(release: release, root: root)
        for file in [
            build.appending(".config"), build.appending("include/config/auto.conf"), root.resolve(FilePath("/boot/config-\(release)")),
        ] {
            if let bytes = try? FileBytes.read(file) { return KernelConfig(bytes: bytes, file: file.string) }
        }
        return nil
    }

    private static func buildDirectory(release: String, root: Root) -> FilePath {
        KernelInventory.buildDirectory(release: release, root: root) ?? root.moduleDirectory(release: release).appending("build")
    }

    /// The module at `path`, decompressed and parsed (modinfo and symbols), or nil if unreadable.
    static func readModule(_ path: FilePath) -> KernelModule? {
        let reader = ScratchImageReader()
        let parsed = try? reader.withModuleImage(at: path) { image, _ in
            try? KernelModule.parse(image: image, parts: [.modinfo, .symbols])
        }
        return parsed ?? nil
    }

    /// The kernel's `vermagic` as its build wrote it (`include/linux/vermagic.h`): its release, then `SMP `, the
    /// preemption model, `mod_unload `, `modversions `, and the arch's word (`aarch64` on arm64, nothing on
    /// x86-64); nil without its config. The release is the target kernel's own, never what its headers'
    /// `utsrelease.h` says: headers that produce another release are what the check must catch.
    static func constructedVermagic(release: String, config: KernelConfig?) -> String? {
        guard let config else { return nil }
        var magic = release + " "
        if config.isEnabled("CONFIG_SMP") { magic += "SMP " }
        if config.isEnabled("CONFIG_PREEMPT_RT") {
            magic += "preempt_rt "
        } else if config.isEnabled("CONFIG_PREEMPT_BUILD") || config.isEnabled("CONFIG_PREEMPT") {
            magic += "preempt "
        }
        if config.isEnabled("CONFIG_MODULE_UNLOAD") { magic += "mod_unload " }
        if config.isEnabled("CONFIG_MODVERSIONS") { magic += "modversions " }
        // MODULE_ARCH_VERMAGIC (arch/*/include/asm/module.h): "aarch64" on arm64, empty on x86-64.
        if config.isEnabled("CONFIG_ARM64") { magic += "aarch64" }
        return magic
    }

    /// The ELF machine of the kernel's architecture, from its config.
    private static func machine(config: KernelConfig?) -> UInt16? {
        config.flatMap(Architecture.configured(by:))?.elfMachine
    }
}

/// The modules `modules.dep` lists for a kernel.
public struct IndexedModules: Sendable {
    /// Their module names.
    public private(set) var names: Set<String> = []
    /// Their files as the managed system sees them (`/lib/modules/KVER/updates/kmodmgr/x.ko`).
    public private(set) var systemPaths: Set<String> = []
    /// One module under `kernel/` (the kernel's own), to read its vermagic and machine from.
    var firstInTreeModule: FilePath?
    /// Modules outside `kernel/` (`updates/`, `extra/`…), as paths on this machine.
    var outOfTreeModules: [FilePath] = []

    /// Reads `<root>/lib/modules/<release>/modules.dep`; a missing index lists nothing. `systemPaths` is filled
    /// only when asked for (LoadCheck needs the names alone).
    public init(release: String, root: Root, withSystemPaths: Bool = true) {
        let moduleDirectory = root.moduleDirectory(release: release)
        guard let bytes = try? FileBytes.read(moduleDirectory.appending("modules.dep")) else { return }
        let systemDirectory = "/lib/modules/\(release)/"
        names.reserveCapacity(bytes.count / 100)
        if withSystemPaths { systemPaths.reserveCapacity(bytes.count / 100) }
        // 4,000 lines on a distribution kernel: only paths that are used become FilePaths or Strings.
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let relative = line[..<colon]
            let fileNameStart = relative.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? relative.startIndex
            names.insert(ModuleFileName.moduleName(ofFileName: relative[fileNameStart...]))
            let isInTree = relative.starts(with: "kernel/".utf8)
            guard withSystemPaths || !isInTree || firstInTreeModule == nil else { continue }
            let text = String(decoding: relative, as: UTF8.self)
            let systemPath = relative.first == UInt8(ascii: "/") ? text : systemDirectory + text
            if withSystemPaths { systemPaths.insert(systemPath) }
            if isInTree {
                if firstInTreeModule == nil { firstInTreeModule = root.resolve(FilePath(systemPath)) }
            } else {
                outOfTreeModules.append(root.resolve(FilePath(systemPath)))
            }
        }
    }
}

import Foundation
import KmodBridge
import SystemPackage
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A root holding a few real modules of the installed kernel — fat with its two users, e1000 (PCI aliases), hid
/// with hid-a4tech (a dash in the file name) — plus the kernel's `modules.builtin*`, indexed by the real
/// `depmod -b`.
struct ModuleRoot {
    static let modules = [
        "kernel/fs/fat/fat.ko", "kernel/fs/fat/vfat.ko", "kernel/fs/fat/msdos.ko",
        "kernel/drivers/net/ethernet/intel/e1000/e1000.ko", "kernel/drivers/hid/hid.ko", "kernel/drivers/hid/hid-a4tech.ko",
    ]

    let scratch: TemporaryDirectory
    let kernel: InstalledKernel
    let root: FilePath
    let moduleDirectory: FilePath

    init() throws {
        kernel = try InstalledKernel.find()
        scratch = try TemporaryDirectory()
        root = FilePath(scratch.url.path)
        moduleDirectory = root.appending("lib/modules").appending(kernel.release)
        let source = FilePath(kernel.moduleDirectory.path)
        for module in Self.modules {
            try FileTree.makeDirectories(moduleDirectory.appending(module).removingLastComponent())
            try FileTree.copyFile(source.appending(module), to: moduleDirectory.appending(module))
        }
        for file in ["modules.builtin", "modules.builtin.modinfo"] {
            try FileTree.copyFile(source.appending(file), to: moduleDirectory.appending(file))
        }
        try AtomicFile.write(Array(Self.modules.map { $0 + "\n" }.joined().utf8), to: moduleDirectory.appending("modules.order"))
        let depmod = try run("depmod", ["-b", root.string, kernel.release])
        guard depmod.status == 0 else { throw DepmodFailed(message: depmod.standardError) }
    }

    func path(_ module: String) -> FilePath { moduleDirectory.appending(module) }

    /// `modprobe --resolve-alias` on this root with no configuration: the names kmod's own tool resolves `alias` to.
    func modprobeResolves(_ alias: String) throws -> [String] {
        let configuration = scratch.url.appendingPathComponent("no-modprobe.d")
        try FileManager.default.createDirectory(at: configuration, withIntermediateDirectories: true)
        let result = try run("modprobe", ["-C", configuration.path, "-d", root.string, "-S", kernel.release, "-R", alias])
        return result.status == 0 ? result.standardOutput.split(separator: "\n").map(String.init) : []
    }

    /// What the real `modinfo` prints for `module` (a path or a name), as key/value pairs in its order, `filename`
    /// left out. A value continued on lines starting with two tabs (the signature, which libkmod itself wraps) is
    /// taken whole.
    func modinfo(_ module: String) throws -> [Field] {
        let result = try run("modinfo", ["-b", root.string, "-k", kernel.release, module])
        guard result.status == 0 else { throw DepmodFailed(message: result.standardError) }
        var entries = [(key: String, value: String)]()
        for line in result.standardOutput.split(separator: "\n") {
            if line.hasPrefix("\t\t"), let last = entries.popLast() {
                entries.append((last.key, last.value + "\n" + line))
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            entries.append((String(line[..<colon]), String(value)))
        }
        return entries.filter { $0.key != "filename" }.map { Field(key: $0.key, value: $0.value) }
    }

    /// A key and value, comparable (KmodInfoEntry has no public initialiser).
    struct Field: Equatable, CustomStringConvertible {
        let key: String
        let value: String
        init(key: String, value: String) {
            self.key = key
            self.value = value
        }
        init(_ entry: KmodInfoEntry) { self.init(key: entry.key, value: entry.value) }
        var description: String { "\(key)=\(value)" }
    }

    struct DepmodFailed: Error, CustomStringConvertible {
        let message: String
        var description: String { "depmod/modinfo failed: \(message)" }
    }
}

/// `KmodContext` over a real, depmod-indexed module tree: lookups, module info, symbol lists, and errors —
/// checked against kmod's own `modprobe -R` and `modinfo` on the same root.
@Suite struct KmodContextTests {
    let tree: ModuleRoot

    init() throws { tree = try ModuleRoot() }

    /// Names, aliases (a filesystem alias, a PCI device id matched against a wildcard alias), symbols, built-in
    /// modules and dash/underscore spellings resolve as `modprobe -R` resolves them; module files are the root's.
    @Test func lookupsAgreeWithModprobe() throws {
        let context = try KmodContext(moduleDirectory: tree.moduleDirectory)
        let queries = [
            "vfat", "fs-vfat", "hid-a4tech", "hid_a4tech", "pci:v00008086d0000100Esv00001234sd00005678bc02sc00i00", "unix",
            "net-pf-1", "symbol:fat_attach", "no_such_module_kmodmgr",
        ]
        for query in queries {
            let found = try context.lookup(query)
            #expect(found.map(\.name) == (try tree.modprobeResolves(query)), "\(query)")
        }
        let vfat = try context.lookup("fs-vfat")
        #expect(vfat.map(\.name) == ["vfat"] && vfat.map(\.path) == [tree.path("kernel/fs/fat/vfat.ko")])
        #expect(try context.lookup("hid-a4tech").first?.path == tree.path("kernel/drivers/hid/hid-a4tech.ko"))
        let builtin = try #require(try context.lookup("unix").first)
        #expect(builtin.name == "unix" && builtin.path == nil)
        #expect(try context.lookup("no_such_module_kmodmgr").isEmpty)
        #expect(try context.lookup("pci:v0000FFFFd0000FFFFsv0sd0bc0sc0i0").isEmpty)
    }

    /// Module info, by file and by name, is exactly what `modinfo` prints — modinfo strings, then the signature
    /// fields — for modules with and without dependencies and with parameters; built-in modules come from
    /// `modules.builtin.modinfo`.
    @Test(arguments: ["kernel/fs/fat/vfat.ko", "kernel/fs/fat/fat.ko", "kernel/drivers/net/ethernet/intel/e1000/e1000.ko"])
    func infoAgreesWithModinfo(_ module: String) throws {
        let context = try KmodContext(moduleDirectory: tree.moduleDirectory)
        let info = try context.info(ofModuleAt: tree.path(module))
        let expected = try tree.modinfo(tree.path(module).string)
        let comparable = info.filter { $0.key != "parm" && $0.key != "parmtype" }.map(ModuleRoot.Field.init)
        #expect(comparable == expected.filter { $0.key != "parm" })
        // modinfo prints parameters in its own order, each `parm` joined with its `parmtype`.
        let parameters = info.filter { $0.key == "parm" }.map { String($0.value.prefix { $0 != ":" }) }
        #expect(parameters.sorted() == expected.filter { $0.key == "parm" }.map { String($0.value.prefix { $0 != ":" }) }.sorted())
        #expect(info.contains { $0.key == "signer" } && info.contains { $0.key == "sig_hashalgo" })

        let name = String(FilePath(module).stem!)
        #expect(try context.info(ofModuleNamed: name) == info)
        #expect(try context.moduleName(fileAt: tree.path(module)) == name)
    }

    @Test func builtinInfoComesFromTheBuiltinModinfo() throws {
        let context = try KmodContext(moduleDirectory: tree.moduleDirectory)
        let info = try context.info(ofModuleNamed: "unix").map(ModuleRoot.Field.init)
        #expect(info == (try tree.modinfo("unix")).filter { $0.key != "name" })
        #expect(info.contains(ModuleRoot.Field(key: "alias", value: "net-pf-1")))
    }

    /// Dependencies: vfat's `depends` is fat, the one module depmod lists for it; what vfat imports from fat is
    /// exported by fat with the same CRC, and vfat's `__versions` records that CRC. Imports are every undefined
    /// symbol `nm` sees (plus `module_layout`), all strong; a module exporting nothing has an empty export list,
    /// not an error.
    @Test func dependenciesAndSymbolsAgree() throws {
        let context = try KmodContext(moduleDirectory: tree.moduleDirectory)
        let vfat = tree.path("kernel/fs/fat/vfat.ko")
        let fat = tree.path("kernel/fs/fat/fat.ko")
        #expect(try context.info(ofModuleAt: vfat).filter { $0.key == "depends" }.map(\.value) == ["fat"])
        let dep = try String(contentsOfFile: tree.moduleDirectory.appending("modules.dep").string, encoding: .utf8)
        #expect(dep.contains("kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko\n"))

        let exports = try context.exports(ofModuleAt: fat)
        let symbols = try String(contentsOfFile: tree.moduleDirectory.appending("modules.symbols").string, encoding: .utf8)
        let fatSymbols = symbols.split(separator: "\n").filter { $0.hasSuffix(" fat") }.map {
            String($0.split(separator: " ")[1].dropFirst(7))
        }
        #expect(Set(exports.map(\.name)) == Set(fatSymbols))
        #expect(exports.count > 10 && exports.allSatisfy { $0.binding == nil && $0.crc != 0 })

        let imports = try context.imports(ofModuleAt: vfat)
        let undefined = try run("nm", ["-u", vfat.string]).standardOutput.split(separator: "\n").compactMap {
            $0.split(separator: " ").last.map(String.init)
        }
        // libkmod adds `module_layout` from `__versions`, which no relocation refers to.
        let unexplained = Set(imports.map(\.name)).symmetricDifference(Set(undefined).union(["module_layout"]))
        #expect(unexplained.isEmpty, "\(unexplained)")
        #expect(imports.allSatisfy { $0.binding == "U" })
        let versions = Dictionary(try context.versions(ofModuleAt: vfat).map { ($0.name, $0.crc) }) { first, _ in first }
        let fromFat = imports.filter { symbol in exports.contains { $0.name == symbol.name } }
        #expect(fromFat.count >= 5)
        for symbol in fromFat {
            let exported = exports.first { $0.name == symbol.name }
            #expect(symbol.crc == exported?.crc && versions[symbol.name] == exported?.crc, "\(symbol.name)")
        }
        #expect(try context.exports(ofModuleAt: vfat).isEmpty)
    }

    /// Errors are typed and say which libkmod call failed on what: a missing file, a module nothing provides, a
    /// file that is not a module.
    @Test func errorsNameTheCallAndTheSubject() throws {
        let context = try KmodContext(moduleDirectory: tree.moduleDirectory)
        let missing = tree.path("kernel/absent.ko")
        let noFile = #expect(throws: KmodError.self) { _ = try context.info(ofModuleAt: missing) }
        #expect(noFile == KmodError("kmod_module_new_from_path", subject: missing.string, errno: .noSuchFileOrDirectory))
        #expect(noFile?.description == "libkmod kmod_module_new_from_path failed for '\(missing)': No such file or directory")
        #expect(throws: KmodError.self) { _ = try context.exports(ofModuleAt: missing) }
        #expect(throws: KmodError.self) { _ = try context.imports(ofModuleAt: missing) }
        #expect(throws: KmodError.self) { _ = try context.versions(ofModuleAt: missing) }
        #expect(throws: KmodError.self) { _ = try context.moduleName(fileAt: missing) }

        let noModule = #expect(throws: KmodError.self) { _ = try context.info(ofModuleNamed: "no_such_module_kmodmgr") }
        #expect(noModule == KmodError("kmod_module_get_info", subject: "no_such_module_kmodmgr", errno: .noSuchFileOrDirectory))

        let junk = tree.path("kernel/junk.ko")
        try AtomicFile.write(Array("this is not an ELF file".utf8), to: junk)
        let notELF = #expect(throws: KmodError.self) { _ = try context.info(ofModuleAt: junk) }
        #expect(notELF?.subject == junk.string && notELF?.function == "kmod_module_get_info", "\(String(describing: notELF))")
        #expect(throws: KmodError.self) { _ = try context.exports(ofModuleAt: junk) }
    }

    /// A context on a directory that does not exist is still made (libkmod checks nothing then): every lookup is
    /// empty and info by name fails as "no such file" — there is no error that names the directory.
    @Test func aMissingDirectoryFindsNothing() throws {
        let absent = FilePath(tree.scratch.url.path).appending("lib/modules/0.0.0-absent")
        let context = try KmodContext(moduleDirectory: absent)
        #expect(try context.lookup("vfat").isEmpty)
        #expect(try context.lookup("fs-vfat").isEmpty)
        let error = #expect(throws: KmodError.self) { _ = try context.info(ofModuleNamed: "vfat") }
        #expect(error?.errno == .noSuchFileOrDirectory)
        // Files are still readable by path: they do not need the index.
        #expect(try context.moduleName(fileAt: tree.path("kernel/fs/fat/vfat.ko")) == "vfat")
    }

    /// A context that reads the machine's modprobe.d resolves names in the tree the same way.
    @Test func readingConfigurationStillResolvesTheTree() throws {
        let context = try KmodContext(moduleDirectory: tree.moduleDirectory, readConfiguration: true)
        #expect(try context.lookup("fs-vfat").map(\.name) == ["vfat"])
    }

    /// The loading calls' refusals that never reach the kernel: nothing to load for an unknown name, a missing
    /// file; an unknown module is not live, and removing it fails naming it.
    @Test func loadingRefusesWhatDoesNotExist() throws {
        let context = try KmodContext(moduleDirectory: tree.moduleDirectory)
        let unknown = #expect(throws: KmodError.self) { _ = try context.probeInsert("no_such_module_kmodmgr", options: nil) }
        #expect(unknown == KmodError("kmod_module_new_from_lookup", subject: "no_such_module_kmodmgr", errno: .noSuchFileOrDirectory))
        let missing = tree.path("kernel/absent.ko")
        let noFile = #expect(throws: KmodError.self) { try context.insert(fileAt: missing, options: nil) }
        #expect(noFile == KmodError("kmod_module_new_from_path", subject: missing.string, errno: .noSuchFileOrDirectory))
        let live = context.isLive("no_such_module_kmodmgr")
        #expect(!live)
        let removal = #expect(throws: KmodError.self) { try context.remove("no_such_module_kmodmgr") }
        #expect(removal?.function == "kmod_module_remove_module" && removal?.subject == "no_such_module_kmodmgr")
        // ENOENT from a kernel with module support; ENOSYS from one built without it.
        #expect([ENOENT, ENOSYS].contains(removal?.errno.rawValue ?? 0), "\(String(describing: removal))")
    }
}

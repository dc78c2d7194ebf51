import Codecs
import Foundation
import LoadCheck
import ModuleELF
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// LoadCheck against the installed kernel's real facts (its `Module.symvers`, its own modules' vermagic, its
/// config), on real modules of its tree — intact, and with exactly the defect each check is about patched into a
/// copy. The VM test (`stages/vm`) then shows the kernel itself agrees.
@Suite struct LoadCheckTests {
    let kernel: InstalledKernel
    let facts: KernelFacts

    init() throws {
        kernel = try InstalledKernel.find()
        facts = KernelFacts.discover(release: kernel.release, root: Root(FilePath("/")))
    }

    /// The kernel's own modules all load into it: vermagic, CRCs, namespaces, providers and licences agree with
    /// the facts gathered for it. (Would fail if any rule were stricter than the kernel's.)
    @Test func theKernelsOwnModulesLoad() throws {
        #expect(facts.symbolSource != nil, "no Module.symvers for \(kernel.release): install its headers (scripts/setup)")
        #expect(facts.vermagic?.hasPrefix(kernel.release + " ") == true, "vermagic \(facts.vermagic ?? "nil")")
        for module in kernel.sample(400) {
            let verdict = LoadCheck.check(moduleAt: FilePath(module.path), against: facts)
            #expect(verdict.willLoad, "\(module.lastPathComponent): \(verdict.refusals)")
            #expect(verdict.unchecked.isEmpty, "\(module.lastPathComponent): \(verdict.unchecked)")
        }
    }

    /// Facts gathered for some modules (what `install` uses) hold exactly the whole table's entries for what those
    /// modules import, and `module_layout` — not the other thousands. (Would fail if the quick line filter dropped a
    /// match.)
    @Test func factsForChosenModulesHoldWhatTheyImport() throws {
        let sample = kernel.sample(60).map { FilePath($0.path) }
        let focused = KernelFacts.discover(release: kernel.release, root: Root(FilePath("/")), checking: sample)
        var wanted: Set<String> = ["module_layout"]
        for path in sample {
            wanted.formUnion(try KernelModule.parse(try moduleBytes(URL(fileURLWithPath: path.string)), parts: .all).imports.map(\.name))
        }
        let expected = facts.symbols.exports.filter { wanted.contains($0.key) }
        #expect(expected.count > 100)
        #expect(focused.symbols.exports.filter { wanted.contains($0.key) }.count == expected.count)
        for (name, export) in expected { #expect(focused.symbols.exports[name] == export, "\(name)") }
        #expect(focused.symbols.exports.count < facts.symbols.exports.count / 4)
        #expect(!focused.symbols.isEmpty && focused.installedModules == facts.installedModules)
    }

    /// One `__versions` CRC changed: the kernel says "disagrees about version of symbol".
    @Test func alteredSymbolVersionIsRefused() throws {
        let (original, module) = try moduleWithVersions()
        let victim = try #require(module.versions.first { $0.name != "module_layout" && facts.symbols.exports[$0.name] != nil })
        let patched = try replacing(
            littleEndian(victim.crc) + Array(victim.name.utf8), with: littleEndian(victim.crc ^ 1) + Array(victim.name.utf8), in: original)
        let verdict = try check(patched)
        #expect(verdict.refusals == [.symbolVersion(victim.name)])
    }

    /// An import renamed to something nothing exports: "Unknown symbol".
    @Test func unknownSymbolIsRefused() throws {
        let (original, module) = try moduleWithVersions()
        let victim = try #require(
            module.imports.first { $0.name.utf8.count > 4 && $0.binding == .strong && facts.symbols.exports[$0.name] != nil })
        var renamed = Array(victim.name.utf8)
        renamed[renamed.count - 1] = renamed[renamed.count - 1] == UInt8(ascii: "Q") ? UInt8(ascii: "R") : UInt8(ascii: "Q")
        let patched = try replacing([0] + Array(victim.name.utf8) + [0], with: [0] + renamed + [0], in: original, all: true)
        let verdict = try check(patched)
        #expect(verdict.refusals.contains(.unknownSymbol(String(decoding: renamed, as: UTF8.self), gplOnly: false)), "\(verdict.refusals)")
    }

    /// Another architecture's `e_machine`: refused as the kernel's `elf_check_arch` does.
    @Test func otherArchitectureIsRefused() throws {
        var (bytes, _) = try moduleWithVersions()
        bytes[18] = 183  // EM_AARCH64
        bytes[19] = 0
        let verdict = try check(bytes)
        #expect(verdict.refusals == [.wrongMachine(module: 183, kernel: 62)])
    }

    /// Without `__versions`, the whole vermagic counts: into its own kernel it loads (forced, tainting: this kernel
    /// has CONFIG_MODULE_FORCE_LOAD), into a kernel of another release it is refused — while the intact module,
    /// whose CRCs decide, is judged on its symbols, not on the release in its vermagic.
    @Test func vermagicIsComparedAsTheKernelDoes() throws {
        let (original, _) = try moduleWithVersions()
        let directory = try TemporaryDirectory()
        let intact = directory.path("intact.ko")
        let stripped = directory.path("stripped.ko")
        try write(original, to: intact)
        let objcopy = try run("objcopy", ["--remove-section=__versions", intact.path, stripped.path])
        #expect(objcopy.status == 0, "\(objcopy.standardError)")
        let own = LoadCheck.check(moduleAt: FilePath(stripped.path), against: facts)
        #expect(own.willLoad && own.taints.contains(.noSymbolVersions), "\(own)")

        var otherRelease = facts
        otherRelease = KernelFacts(
            release: "9.9.9-other", config: facts.config,
            vermagic: facts.vermagic.map { "9.9.9-other " + $0.split(separator: " ", maxSplits: 1)[1] },
            machine: facts.machine, symbols: facts.symbols, symbolSource: facts.symbolSource, installedModules: facts.installedModules,
            hasOwnModules: facts.hasOwnModules)
        let foreign = LoadCheck.check(moduleAt: FilePath(stripped.path), against: otherRelease)
        #expect(foreign.refusals.count == 1, "\(foreign)")
        if case .vermagic = foreign.refusals.first {} else { Issue.record("expected a vermagic refusal: \(foreign.refusals)") }
        #expect(LoadCheck.check(moduleAt: FilePath(intact.path), against: otherRelease).willLoad)
    }

    /// A module built without the kernel's `Module.symvers` has an empty `__versions` section (not none): Debian's
    /// kernel refuses it with "no symbol version for module_layout" (seen in the VM stage), where a module with no
    /// section at all is a forced load.
    @Test func anEmptyVersionsSectionIsRefusedAsDebianRefusesIt() throws {
        let (original, _) = try moduleWithVersions()
        let directory = try TemporaryDirectory()
        let intact = directory.path("intact.ko")
        let emptied = directory.path("emptied.ko")
        try write(original, to: intact)
        let objcopy = try run("objcopy", ["--update-section", "__versions=/dev/null", intact.path, emptied.path])
        #expect(objcopy.status == 0, "\(objcopy.standardError)")
        let verdict = LoadCheck.check(moduleAt: FilePath(emptied.path), against: facts)
        #expect(verdict.refusals == [.missingSymbolVersion("module_layout")], "\(verdict)")
    }

    /// For a kernel known only by its headers (no module of its own), the vermagic it expects carries its own
    /// release — the directory's name — not what its headers' utsrelease.h says; and arm64 adds its arch word.
    @Test func aHeadersOnlyKernelExpectsItsOwnReleaseAndArchWord() throws {
        let directory = try TemporaryDirectory()
        let build = directory.path("lib/modules/9.9.9-sunxi/build")
        try FileManager.default.createDirectory(at: build.appendingPathComponent("include/generated"), withIntermediateDirectories: true)
        try "#define UTS_RELEASE \"9.9.9\"\n".write(
            to: build.appendingPathComponent("include/generated/utsrelease.h"), atomically: true, encoding: .utf8)
        try "CONFIG_ARM64=y\nCONFIG_SMP=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODVERSIONS=y\n".write(
            to: build.appendingPathComponent(".config"), atomically: true, encoding: .utf8)
        let facts = KernelFacts.discover(release: "9.9.9-sunxi", root: Root(FilePath(directory.url.path)))
        // What Debian's arm64 kernel 6.1.0-NN-arm64 carries: "6.1.0-NN-arm64 SMP mod_unload modversions aarch64".
        #expect(facts.vermagic == "9.9.9-sunxi SMP mod_unload modversions aarch64")
        #expect(facts.machine == 183)
    }

    /// Without Module.symvers and without a running kernel to ask, the kernel's own exports are unknown: an
    /// import no other module provides is "not checked", never "Unknown symbol" (the modules of other packages
    /// in the index do not make a symbol table).
    @Test func withoutAnySourceOfTheKernelsExportsImportsAreNotChecked() throws {
        let (original, module) = try moduleWithVersions()
        let directory = try TemporaryDirectory()
        let file = directory.path("module.ko")
        try write(original, to: file)
        var headerless = KernelFacts(
            release: facts.release, config: facts.config, vermagic: facts.vermagic, machine: facts.machine, symbols: KernelSymbolTable(),
            symbolSource: nil, installedModules: facts.installedModules, hasOwnModules: facts.hasOwnModules)
        headerless.adding(modulesAt: [FilePath(file.path)])
        let verdict = LoadCheck.check(module, storedAs: .none, against: headerless)
        #expect(!verdict.refusals.contains { if case .unknownSymbol = $0 { true } else { false } }, "\(verdict.refusals)")
        #expect(verdict.unchecked.contains { $0.hasPrefix("symbols:") }, "\(verdict.unchecked)")
    }

    /// A module whose licence is not GPL-compatible cannot use GPL-only exports: "Unknown symbol".
    @Test func gplOnlySymbolsNeedAGPLModule() throws {
        for url in kernel.sample(400) {
            let original = try moduleBytes(url)
            let module = try KernelModule.parse(original, parts: [.modinfo, .symbols])
            guard module.modinfoValue("license") == "GPL",
                let gplOnly = module.imports.first(where: { facts.symbols.exports[$0.name]?.gplOnly == true && $0.binding == .strong })
            else { continue }
            let patched = try replacing(Array("license=GPL\0".utf8), with: Array("license=MIT\0".utf8), in: original)
            let verdict = try check(patched)
            #expect(verdict.refusals.contains(.unknownSymbol(gplOnly.name, gplOnly: true)), "\(verdict.refusals)")
            #expect(verdict.taints.contains(.proprietary("MIT")))
            return
        }
        Issue.record("no GPL module using GPL-only exports in the sample")
    }

    /// A module using a namespaced export without `import_ns=` is refused; with it, it loads.
    @Test func namespacesMustBeImported() throws {
        for url in kernel.modules {
            let original = try moduleBytes(url)
            guard original.count < 2_000_000, let module = try? KernelModule.parse(original, parts: [.modinfo, .symbols]),
                let namespace = module.modinfoValue("import_ns"),
                let user = module.imports.first(where: { facts.symbols.exports[$0.name]?.namespace == namespace })
            else { continue }
            #expect(try check(original).willLoad)
            let patched = try replacing(Array("import_ns=".utf8), with: Array("xmport_ns=".utf8), in: original, all: true)
            let verdict = try check(patched)
            #expect(verdict.refusals.contains(.namespace(symbol: user.name, namespace: namespace)), "\(verdict.refusals)")
            return
        }
        Issue.record("no module of the tree imports a namespace")
    }

    /// gzip: Debian's kmod cannot read it, so nothing can load it.
    @Test func gzipIsRefusedWhereKmodCannotReadIt() throws {
        let (original, _) = try moduleWithVersions()
        let directory = try TemporaryDirectory()
        let plain = directory.path("m.ko")
        try write(original, to: plain)
        let gzip = try run("gzip", ["-k", plain.path])
        #expect(gzip.status == 0)
        let verdict = LoadCheck.check(moduleAt: FilePath(plain.path + ".gz"), against: facts)
        #expect(!verdict.willLoad)
        for format in ["xz", "zstd"] {
            let compressed = try run(format, ["-k", "-f", plain.path])
            #expect(compressed.status == 0)
            let suffix = format == "xz" ? ".xz" : ".zst"
            #expect(LoadCheck.check(moduleAt: FilePath(plain.path + suffix), against: facts).willLoad, "\(format)")
        }
    }

    // MARK: - Helpers

    /// A module of the tree with `__versions` and at least three versioned imports, as plain bytes.
    private func moduleWithVersions() throws -> ([UInt8], KernelModule) {
        for url in kernel.sample(200) {
            let bytes = try moduleBytes(url)
            let module = try KernelModule.parse(bytes, parts: .all)
            if module.versions.count >= 3 && module.imports.count >= 3 { return (bytes, module) }
        }
        throw Missing()
    }

    private struct Missing: Error {}

    private func moduleBytes(_ url: URL) throws -> [UInt8] {
        let data = try bytes(of: url)
        let format = CompressionFormat.sniff(data.prefix(8))
        return format == .none ? data : try Codec.decompress(data, from: format)
    }

    private func check(_ module: [UInt8]) throws -> LoadVerdict {
        let directory = try TemporaryDirectory()
        let file = directory.path("patched.ko")
        try write(module, to: file)
        let verdict = LoadCheck.check(moduleAt: FilePath(file.path), against: facts)
        // install gathers facts for just the modules it checks: the verdict must be the same.
        let focused = KernelFacts.discover(release: kernel.release, root: Root(FilePath("/")), checking: [FilePath(file.path)])
        #expect(LoadCheck.check(moduleAt: FilePath(file.path), against: focused) == verdict)
        return verdict
    }

    private func littleEndian(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }

    /// `bytes` with the first (or every) occurrence of `pattern` replaced by `replacement` (same length).
    private func replacing(_ pattern: [UInt8], with replacement: [UInt8], in bytes: [UInt8], all: Bool = false) throws -> [UInt8] {
        precondition(pattern.count == replacement.count)
        var result = bytes
        var found = false
        var index = 0
        while index + pattern.count <= result.count {
            if result[index] == pattern[0] && result[index..<(index + pattern.count)].elementsEqual(pattern) {
                result.replaceSubrange(index..<(index + pattern.count), with: replacement)
                found = true
                if !all { break }
                index += pattern.count
            } else {
                index += 1
            }
        }
        try #require(found, "pattern not found")
        return result
    }
}

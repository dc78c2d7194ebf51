import Codecs
import DepmodIndex
import ModuleELF
import SystemPackage
import SystemSupport

/// Decides whether a kernel will accept a module, checking what the kernel's `load_module` checks, in its order
/// and with its rules (Linux 6.1 `kernel/module/main.c`): signature, ELF header, `module_layout`, `vermagic`
/// (`same_magic`), license, then each undefined symbol (exporter, GPL-only, namespace, CRC).
public enum LoadCheck {
    /// The verdict for the module file at `path` (plain or compressed) against `kernel`.
    ///
    /// `signedBy`: the module will be signed by this key on its way into place (the install signs after this
    /// check reads the built file), so its signature is judged as that key's.
    public static func check(moduleAt path: FilePath, against kernel: KernelFacts, signedBy: SignerName? = nil) -> LoadVerdict {
        let reader = ScratchImageReader()
        let outcome: Result<(KernelModule, CompressionFormat, CompressionNote?), LoadProblem>
        do {
            outcome = try reader.withModuleImage(at: path) { image, format in
                Result { () throws(ModuleELFError) in try KernelModule.parse(image: image, parts: .all) }
                    .map { ($0, format, CompressionNote.of(fileAt: path, format: format)) }
                    .mapError { LoadProblem.notELF($0.description) }
            }
        } catch {
            var verdict = LoadVerdict()
            verdict.refusals.append(.notELF("\(error)"))
            return verdict
        }
        switch outcome {
        case .failure(let problem):
            var verdict = LoadVerdict()
            verdict.refusals.append(problem)
            return verdict
        case .success(let (module, format, note)):
            return check(module, storedAs: format, compressionNote: note, against: kernel, signedBy: signedBy)
        }
    }

    /// The verdict for a parsed module stored in `format`.
    public static func check(
        _ module: KernelModule, storedAs format: CompressionFormat, compressionNote: CompressionNote? = nil,
        against kernel: KernelFacts, signedBy: SignerName? = nil
    ) -> LoadVerdict {
        var verdict = LoadVerdict()
        checkFormat(format, note: compressionNote, kernel: kernel, into: &verdict)
        checkSignature(module, signedBy: signedBy, kernel: kernel, into: &verdict)
        checkHeader(module, kernel: kernel, into: &verdict)
        guard verdict.willLoad else { return verdict }
        let versions = Dictionary(module.versions.map { ($0.name, $0.crc) }, uniquingKeysWith: { first, _ in first })
        // The kernel asks whether the section exists (`info->index.vers`), not whether it has entries.
        let hasVersions = module.hasVersionsSection || !versions.isEmpty
        let checksVersions = kernel.hasModversions && hasVersions
        checkModuleLayout(versions, hasVersions: hasVersions, kernel: kernel, into: &verdict)
        checkVermagic(module, hasVersions: hasVersions, kernel: kernel, into: &verdict)
        guard verdict.willLoad else { return verdict }
        let license = module.modinfoValue("license") ?? "unspecified"
        let gplCompatible = Self.gplCompatibleLicenses.contains(license)
        if !gplCompatible { verdict.taints.append(.proprietary(license)) }
        if kernel.hasModversions && !hasVersions && !module.imports.isEmpty {
            if kernel.forcesLoads {
                verdict.taints.append(.noSymbolVersions)
            } else {
                verdict.refusals.append(.noSymbolVersions)
            }
        }
        checkImports(
            module, versions: versions, checksVersions: checksVersions, gplCompatible: gplCompatible, kernel: kernel,
            into: &verdict)
        return verdict
    }

    /// `license_is_gpl_compatible` in `include/linux/license.h`.
    static let gplCompatibleLicenses: Set<String> = [
        "GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL",
    ]

    private static func checkFormat(
        _ format: CompressionFormat, note: CompressionNote?, kernel: KernelFacts, into verdict: inout LoadVerdict
    ) {
        // Debian's kmod 30 decompresses xz and zstd itself; it was built without zlib.
        if format == .gzip {
            verdict.refusals.append(.compression("gzip-compressed, which this system's kmod cannot read (built without zlib)"))
        }
        if kernel.decompressesInKernel, let note, let problem = note.inKernelProblem {
            verdict.taints.append(.compression(problem))
        }
    }

    /// `module_sig_check`: no signature is "unsigned module"; a key the kernel does not have is "module with
    /// unavailable key" — each refused where signatures are enforced, a taint elsewhere. Whether the signature
    /// matches the bytes is not checked here (kmodmgr's own signatures do; a tampered file is the kernel's to find).
    private static func checkSignature(
        _ module: KernelModule, signedBy: SignerName?, kernel: KernelFacts, into verdict: inout LoadVerdict
    ) {
        guard kernel.checksSignatures else { return }
        let enforced = kernel.requiresSignatures
        guard signedBy != nil || module.hasSignatureTrailer else {
            if enforced { verdict.refusals.append(.unsigned(required: true)) } else { verdict.taints.append(.unsigned(required: false)) }
            return
        }
        guard let trusted = kernel.trustedSigners else {
            if enforced {
                verdict.unchecked.append("whether the kernel trusts the signing key (its build tree keeps no certs/x509_certificate_list)")
            }
            return
        }
        guard let signer = signedBy ?? module.signature.map({ SignerName(signer: $0.signer, serial: $0.keyID) }) else { return }
        if !trusted.contains(signer) {
            if enforced {
                verdict.refusals.append(.untrustedKey(signer, required: true))
            } else {
                verdict.taints.append(.untrustedKey(signer, required: false))
            }
        }
    }

    private static func checkHeader(_ module: KernelModule, kernel: KernelFacts, into verdict: inout LoadVerdict) {
        guard let machine = kernel.machine else { return }
        // The 32-bit ones among the machines KernelFacts knows: i386 and ARM.
        let kernelIs64Bit = machine != 3 && machine != 40
        guard module.is64Bit == kernelIs64Bit else {
            verdict.refusals.append(.notELF("wrong ELF class: Invalid module format"))
            return
        }
        if module.machine != machine {
            verdict.refusals.append(.wrongMachine(module: module.machine, kernel: machine))
        }
    }

    /// `check_modstruct_version`: the module's CRC of `module_layout` (the layout of `struct module`) must be the
    /// kernel's, or the kernel refuses with "Invalid module format". A `__versions` section without the entry
    /// (a module built without `Module.symvers`) is "no symbol version for module_layout".
    private static func checkModuleLayout(
        _ versions: [String: UInt64], hasVersions: Bool, kernel: KernelFacts, into verdict: inout LoadVerdict
    ) {
        guard kernel.hasModversions, hasVersions, let export = kernel.symbols.exports["module_layout"], let crc = export.crc else {
            return
        }
        guard let expected = versions["module_layout"] else {
            if kernel.refusesMissingSymbolVersions { verdict.refusals.append(.missingSymbolVersion("module_layout")) }
            return
        }
        if crc != expected { verdict.refusals.append(.symbolVersion("module_layout")) }
    }

    /// `same_magic`: with symbol versions on the module's side, the first word (the release) is not compared —
    /// the CRCs decide; without them the whole string must match.
    private static func checkVermagic(_ module: KernelModule, hasVersions: Bool, kernel: KernelFacts, into verdict: inout LoadVerdict) {
        guard let magic = module.modinfoValue("vermagic") else {
            if kernel.forcesLoads { verdict.taints.append(.noVermagic) } else { verdict.refusals.append(.noVermagic) }
            return
        }
        guard let expected = kernel.vermagic else {
            verdict.unchecked.append("vermagic: the kernel's own is unknown (no module of it, no headers)")
            return
        }
        let matches = hasVersions && kernel.hasModversions ? afterFirstWord(magic) == afterFirstWord(expected) : magic == expected
        if !matches { verdict.refusals.append(.vermagic(module: magic, kernel: expected)) }
    }

    private static func afterFirstWord(_ text: String) -> Substring {
        guard let space = text.firstIndex(of: " ") else { return "" }
        return text[space...]
    }

    /// `simplify_symbols` → `resolve_symbol` for each undefined symbol.
    private static func checkImports(
        _ module: KernelModule, versions: [String: UInt64], checksVersions: Bool, gplCompatible: Bool, kernel: KernelFacts,
        into verdict: inout LoadVerdict
    ) {
        guard !kernel.symbols.isEmpty else {
            if !module.imports.isEmpty {
                verdict.unchecked.append("symbols: no Module.symvers for \(kernel.release), and it is not the running kernel")
            }
            return
        }
        if kernel.symbols.namesOnly && !module.imports.isEmpty {
            verdict.unchecked.append(
                "symbol CRCs and GPL-only exports: no Module.symvers (names from \(kernel.symbolSource ?? "the index"))")
        }
        let namespaces = Set(module.modinfo.filter { $0.key == "import_ns" }.map(\.value))
        for symbol in module.imports where !Self.linkerSymbols.contains(symbol.name) {
            guard let export = kernel.symbols.exports[symbol.name] else {
                if symbol.binding != .weak { verdict.refusals.append(.unknownSymbol(symbol.name, gplOnly: false)) }
                continue
            }
            if export.gplOnly && !gplCompatible {
                if symbol.binding != .weak { verdict.refusals.append(.unknownSymbol(symbol.name, gplOnly: true)) }
                continue
            }
            if export.owner != "vmlinux" && kernel.hasOwnModules {
                let provider = ModuleFileName.moduleName(ofFileName: String(export.owner.split(separator: "/").last ?? ""))
                if !kernel.installedModules.contains(provider) {
                    verdict.refusals.append(.missingProvider(symbol: symbol.name, module: provider))
                    continue
                }
            }
            if let namespace = export.namespace, !namespaces.contains(namespace), !kernel.allowsMissingNamespaces {
                verdict.refusals.append(.namespace(symbol: symbol.name, namespace: namespace))
            }
            if checksVersions, let crc = export.crc {
                if let expected = versions[symbol.name] {
                    if crc != expected { verdict.refusals.append(.symbolVersion(symbol.name)) }
                } else if kernel.refusesMissingSymbolVersions {
                    verdict.refusals.append(.missingSymbolVersion(symbol.name))
                }
            }
        }
    }

    /// Undefined symbols the module loader never resolves.
    static let linkerSymbols: Set<String> = ["", "_GLOBAL_OFFSET_TABLE_", ".TOC.", "__this_module"]
}

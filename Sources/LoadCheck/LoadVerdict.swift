import ModuleELF

/// What the kernel will do with a module: load it, load it and taint itself, or refuse it — and why, in the
/// words the kernel would log.
public struct LoadVerdict: Sendable, Equatable {
    /// Reasons the kernel will refuse the module; empty when it will load.
    public var refusals: [LoadProblem] = []
    /// What the kernel will log and taint itself for while loading it anyway.
    public var taints: [LoadProblem] = []
    /// What could not be checked (no `Module.symvers`, an unknown vermagic…): the verdict is then partial.
    public var unchecked: [String] = []

    public var willLoad: Bool { refusals.isEmpty }

    public init() {}
}

/// One reason for a refusal or a taint.
public enum LoadProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is no ELF object, or not of the kernel's class (64-bit) or byte order.
    case notELF(String)
    /// Built for another architecture (`e_machine`).
    case wrongMachine(module: UInt16, kernel: UInt16)
    /// The loader cannot read this compression (Debian's kmod has no zlib), or the in-kernel decompressor
    /// cannot take this stream.
    case compression(String)
    /// `version magic 'X' should be 'Y'`.
    case vermagic(module: String, kernel: String)
    /// No `vermagic` at all: `no version magic, tainting kernel`.
    case noVermagic
    /// `disagrees about version of symbol X` (a CRC differs from the kernel's).
    case symbolVersion(String)
    /// No `__versions` section although the kernel checks symbol versions: forced load (taint F).
    case noSymbolVersions
    /// `no symbol version for X`: the module has a `__versions` section without X's entry (built without the
    /// kernel's `Module.symvers`); Debian's kernels refuse it.
    case missingSymbolVersion(String)
    /// `Unknown symbol X`: nothing loaded or installed exports it (or only to GPL-compatible modules).
    case unknownSymbol(String, gplOnly: Bool)
    /// The symbol's exporter is a module that is not installed for this kernel.
    case missingProvider(symbol: String, module: String)
    /// `module uses symbol X from namespace NS, but does not import it`.
    case namespace(symbol: String, namespace: String)
    /// Unsigned where `CONFIG_MODULE_SIG_FORCE` requires a signature; or unsigned under `CONFIG_MODULE_SIG`
    /// (taint E).
    case unsigned(required: Bool)
    /// Signed with a key the kernel does not trust (not among the certificates it embeds): refused where
    /// signatures are enforced, a taint elsewhere.
    case untrustedKey(SignerName, required: Bool)
    /// A license the kernel does not consider GPL-compatible (taint P).
    case proprietary(String)

    public var description: String {
        switch self {
        case .notELF(let reason): "not a loadable module: \(reason)"
        case .wrongMachine(let module, let kernel):
            "built for another architecture (ELF machine \(module), the kernel is \(kernel)): Invalid module format"
        case .compression(let reason): reason
        case .vermagic(let module, let kernel): "version magic '\(module)' should be '\(kernel)': Invalid module format"
        case .noVermagic: "no version magic, tainting kernel (forced load)"
        case .symbolVersion(let symbol): "disagrees about version of symbol \(symbol)"
        case .noSymbolVersions: "no symbol versions (__versions): forced load, tainting kernel"
        case .missingSymbolVersion(let symbol): "no symbol version for \(symbol)"
        case .unknownSymbol(let symbol, let gplOnly):
            gplOnly ? "Unknown symbol \(symbol) (exported to GPL-compatible modules only)" : "Unknown symbol \(symbol)"
        case .missingProvider(let symbol, let module): "needs \(symbol) from module \(module), which is not installed"
        case .namespace(let symbol, let namespace):
            "uses symbol \(symbol) from namespace \(namespace), but does not import it"
        case .unsigned(let required):
            required
                ? "not signed, and the kernel requires signatures (CONFIG_MODULE_SIG_FORCE): Key was rejected"
                : "module verification failed: signature and/or required key missing - tainting kernel"
        case .untrustedKey(let signer, let required):
            required
                ? "signed by \(signer), a key the kernel does not trust: Loading of module with unavailable key is rejected (Key was rejected by service)"
                : "signed by \(signer), a key the kernel does not trust: module verification failed: signature and/or required key missing - tainting kernel"
        case .proprietary(let license): "license '\(license)' taints the kernel"
        }
    }
}

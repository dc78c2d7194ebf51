import LoadCheck
import ModuleELF
import Signing
import StateStore
import SystemPackage
import SystemSupport

/// `kmodmgr sign --all`: every built and installed module not signed by the current key is signed again, without a
/// rebuild. Built modules are signed in place (`resignBuilt`).
/// Each package's modules for one kernel are replaced by the install transaction itself (strip, sign, compress
/// the committed build into staging, journal, rename into place, record the new digests), so a crash leaves the
/// state tree, the files and the index agreeing as after any install; each kernel is re-indexed once, at the end.
/// That install removes the old modules in a transaction of its own first; a crash between the two leaves the
/// package consistently uninstalled and a `resign-pending` marker, and the next `sign --all` installs it again.
public enum Resigning {
    public enum Outcome: Sendable, Equatable {
        /// Signed again: the module files now in place.
        case resigned(modules: [String])
        /// Every module already carries the current key's signature.
        case current
        case failed(reason: String)
    }

    public typealias KernelResult = PackageKernelOutcome<Outcome>

    /// Re-signs what is installed for `releases` (nil: every kernel); `force` signs even modules the current key
    /// signed already.
    public static func resignInstalled(releases: [String]?, force: Bool, context: LifecycleContext) async throws(LifecycleError)
        -> [KernelResult]
    {
        let lock = try context.exclusive()
        defer { withExtendedLifetime(lock) {} }
        guard case .key(let key, _) = try await context.signingKeys.resolve(context) else {
            throw .noSigningKey(root: context.root.path.string)
        }
        let current = key.certificate.signerName
        var results = [KernelResult]()
        for (name, version) in context.state.packages() {
            guard let package = try? context.state.package(name, version) else { continue }
            for entry in context.state.kernels(name, version) where releases?.contains(entry.release) ?? true {
                let record: InstallRecord?
                do {
                    record = try context.state.installed(name, version, release: entry.release, arch: entry.arch)
                } catch {
                    throw .state(error)
                }
                let label = "\(name)/\(version)"
                let builtAgain = try await resignBuilt(name, version, entry, current: current, force: force, context: context)
                let pending = pendingMarker(name, version, entry, context: context)
                let interrupted = FileTree.exists(pending)
                guard record != nil || interrupted else {
                    if !builtAgain.isEmpty {
                        results.append(
                            KernelResult(package: label, release: entry.release, arch: entry.arch, outcome: .resigned(modules: builtAgain)))
                    }
                    continue
                }
                let signers = (record?.modules ?? []).map { module in
                    (try? FileBytes.read(context.root.resolve(FilePath(module.path)))).flatMap(ModuleSignatures.signer(ofModuleFile:))
                }
                if !force && !interrupted && signers.allSatisfy({ $0 == current }) {
                    results.append(KernelResult(package: label, release: entry.release, arch: entry.arch, outcome: .current))
                    continue
                }
                // The install below uninstalls the old modules in a transaction of its own first: a crash between
                // the two leaves the package uninstalled, and this marker says the next sign --all installs it again.
                do {
                    try AtomicFile.write(Array("\(entry.release)\n".utf8), to: pending)
                } catch {
                    throw .system(error)
                }
                let install = KernelInstall(
                    package: package, release: entry.release, arch: entry.arch, force: false, context: context, replacing: true)
                let outcome: Outcome
                do {
                    switch try await install.run() {
                    case .installed(let installed): outcome = .resigned(modules: installed.modules.map(\.path))
                    case .alreadyInstalled: outcome = .current
                    }
                } catch {
                    outcome = .failed(reason: error.description)
                }
                if case .resigned = outcome { try? FileTree.remove(pending) }
                results.append(KernelResult(package: label, release: entry.release, arch: entry.arch, outcome: outcome))
            }
        }
        try await Reindexing.finishCommand(context: context)
        return results
    }

    /// The entry's built modules that carry another key's signature (with `force`: any signature), signed again in
    /// place, each through a temporary file renamed over it, and the build record's digests with them. A crash
    /// between a file and the record leaves a digest that no longer matches: the next build of it rebuilds (slower,
    /// never wrong). Returns the files signed again, as the system sees them.
    static func resignBuilt(
        _ name: String, _ version: String, _ entry: KernelEntry, current: SignerName, force: Bool, context: LifecycleContext
    ) async throws(LifecycleError) -> [String] {
        let state = context.state
        guard var record = try? state.build(name, version, release: entry.release, arch: entry.arch), record.state == .built,
            let signing = try await SigningPlan.forKernel(KernelFacts.config(release: entry.release, root: context.root), context: context)
        else { return [] }
        var signedAgain = [String]()
        for (index, module) in record.modules.enumerated() {
            let file = state.tree.builtModule(
                name, version, release: entry.release, arch: entry.arch, build: record.build, module: module.name)
            guard let bytes = try? FileBytes.read(file), let signer = ModuleSignatures.signer(ofModuleFile: bytes),
                force || signer != current
            else { continue }
            let signed = try signing.sign(bytes, file: file)
            do {
                try AtomicFile.write(signed, to: file)
            } catch {
                throw .system(error)
            }
            record.modules[index] = BuiltModule(name: module.name, digest: ContentHash.of(signed))
            signedAgain.append(context.root.systemPath(of: file))
        }
        guard !signedAgain.isEmpty else { return [] }
        do {
            try state.commit(record, name, version, release: entry.release, arch: entry.arch)
        } catch {
            throw .state(error)
        }
        return signedAgain
    }

    /// `resign-pending` beside the kernel's install record: written before a package's modules are replaced,
    /// removed once they are.
    static func pendingMarker(_ name: String, _ version: String, _ entry: KernelEntry, context: LifecycleContext) -> FilePath {
        context.state.tree.installRecord(name, version, release: entry.release, arch: entry.arch).removingLastComponent()
            .appending("resign-pending")
    }
}

import Kernels
import ModuleELF
import StateStore
import SystemPackage
import SystemSupport

/// One line of `kmodmgr status`: a package version, and for one kernel what its last build came to.
public struct StatusEntry: Sendable, Equatable, Codable {
    /// Where a package version stands for a kernel; the JSON and DKMS's line format spell it as its raw value.
    public enum State: String, Sendable, Equatable, Codable {
        case added, built, installed, failed, skipped, broken

        init(_ build: BuildState) {
            switch build {
            case .built: self = .built
            case .failed: self = .failed
            case .skipped: self = .skipped
            }
        }
    }

    public let name: String
    public let version: String
    /// nil for a package that has no build record (for the kernels asked about).
    public let kernel: String?
    public let arch: String?
    public let state: State
    /// Why it failed or was skipped.
    public let reason: String?
    public let log: String?
    /// What changed since the build: `source`, `headers` (a stale build is rebuilt by the next `build`).
    public let stale: [String]
    /// What is broken: a missing source, missing or altered module files, an unreadable record.
    public let problems: [String]
    /// For an installed entry: the module files in place, the same-named modules they override (left in place) and
    /// those moved aside until uninstall.
    public var installed: [String] = []
    public var overrides: [String] = []
    public var displaced: [String] = []
    /// For an installed entry: who signed each module in place (`modinfo`'s names), and whether that is the key
    /// installs sign with now.
    public var signatures: [InstalledSignature] = []
}

/// The signature of one installed module file, as `status --json` shows it.
public struct InstalledSignature: Sendable, Equatable, Codable {
    public let path: String
    /// nil: unsigned.
    public let signer: String?
    /// The certificate's serial, as modinfo prints `sig_key` (`4D:BD:…`).
    public let sigKey: String?
    public let sigHashalgo: String?
    /// Whether the current signing key made it; nil when there is no current key or the module is unsigned.
    public let currentKey: Bool?

    enum CodingKeys: String, CodingKey {
        case path, signer
        case sigKey = "sig_key"
        case sigHashalgo = "sig_hashalgo"
        case currentKey = "current_key"
    }

    /// `signature` (nil: unsigned) as modinfo names it, compared with the key installs sign with now.
    init(path: String, signature: ModuleSignature?, current: SignerName?) {
        self.path = path
        signer = signature.map { String(decoding: $0.signer, as: UTF8.self) }
        sigKey = signature.map { KernelModule.hexString($0.keyID) }
        sigHashalgo = signature?.hashAlgorithm
        currentKey = signature.flatMap { signature in current.map { $0 == SignerName(signer: signature.signer, serial: signature.keyID) } }
    }
}

/// `kmodmgr status`: what the state tree says, checked against the files it names — never by evaluating a
/// dkms.conf or running anything. Staleness is judged from file metadata (`ContentHash.stamp`).
public enum StatusReport {
    /// Finishes an interrupted install or uninstall first (when no other kmodmgr is at work), so the report tells
    /// the truth; false when another kmodmgr is running.
    public static func settle(context: LifecycleContext) throws(LifecycleError) -> Bool {
        try Recovery.finishIfIdle(context: context)
    }

    /// `currentSigner`: the key installs sign with now, to flag modules another key signed.
    public static func entries(
        package filter: PackageReference?, kernels: [KernelReference], state: StateStore, root: Root, currentSigner: SignerName? = nil
    ) -> [StatusEntry] {
        var entries = [StatusEntry]()
        var headerStamps = [String: String]()
        for (name, version) in state.packages() {
            if let filter, filter.name != name || (filter.version != nil && filter.version != version) { continue }
            var problems = [String]()
            // Walking the source tree costs a stat per file: done once per package, and only if a built entry needs it.
            var sourceDirectory: FilePath?
            var sourceStamp: String?
            let record: PackageRecord?
            do {
                record = try state.package(name, version)
            } catch {
                record = nil
                problems.append(error.description)
            }
            if let record {
                let source = root.resolve(FilePath(record.source))
                if FileTree.isDirectory(source) {
                    sourceDirectory = source
                } else {
                    problems.append("source \(record.source) is missing")
                }
            }
            let builds = state.kernels(name, version).filter { entry in
                kernels.isEmpty || kernels.contains { $0.release == entry.release && ($0.arch == nil || $0.arch == entry.arch) }
            }
            if builds.isEmpty {
                entries.append(
                    StatusEntry(
                        name: name, version: version, kernel: nil, arch: nil, state: .added, reason: nil, log: nil, stale: [],
                        problems: problems))
                continue
            }
            for kernel in builds {
                entries.append(
                    entry(
                        name, version, kernel, state: state, sourceDirectory: sourceDirectory, sourceStamp: &sourceStamp,
                        packageProblems: problems,
                        headerStamps: &headerStamps, root: root, currentSigner: currentSigner))
            }
        }
        return entries
    }

    private static func entry(
        _ name: String, _ version: String, _ kernel: KernelEntry, state: StateStore, sourceDirectory: FilePath?,
        sourceStamp: inout String?,
        packageProblems: [String], headerStamps: inout [String: String], root: Root, currentSigner: SignerName?
    ) -> StatusEntry {
        var problems = packageProblems
        let record: BuildRecord
        do throws(StateError) {
            guard let found = try state.build(name, version, release: kernel.release, arch: kernel.arch) else {
                throw StateError.missingField(
                    file: state.tree.buildRecord(name, version, release: kernel.release, arch: kernel.arch).string, key: "state")
            }
            record = found
        } catch {
            return StatusEntry(
                name: name, version: version, kernel: kernel.release, arch: kernel.arch, state: .broken, reason: nil, log: nil,
                stale: [], problems: problems + [error.description])
        }
        let log = state.tree.log(name, version, release: kernel.release, arch: kernel.arch, build: record.build)
        var stale = [String]()
        if record.state == .built {
            for module in record.modules {
                let file = state.tree.builtModule(
                    name, version, release: kernel.release, arch: kernel.arch, build: record.build, module: module.name)
                if !FileTree.exists(file) { problems.append("built module \(file) is missing") }
            }
            if let sourceDirectory {
                let stamp = sourceStamp ?? ContentHash.stamp(tree: sourceDirectory)
                sourceStamp = stamp
                if stamp != record.sourceStamp { stale.append("source") }
            }
            // The headers as builds find them: the build link resolved inside the root.
            let headers =
                KernelInventory.buildDirectory(release: kernel.release, root: root)
                ?? root.moduleDirectory(release: kernel.release).appending("build")
            let stamp = headerStamps[kernel.release] ?? KernelInventory.headersStamp(buildDirectory: headers.string)
            headerStamps[kernel.release] = stamp
            if stamp != record.headersStamp { stale.append("headers") }
        }
        var install: InstallRecord?
        do {
            install = try state.installed(name, version, release: kernel.release, arch: kernel.arch)
        } catch {
            problems.append(error.description)
        }
        // Each installed file read once: its digest against the record, its signature for the report.
        var signatures = [InstalledSignature]()
        for module in install?.modules ?? [] {
            guard let bytes = try? FileBytes.read(root.resolve(FilePath(module.path))) else {
                problems.append("installed module \(module.path) is missing")
                continue
            }
            if ContentHash.of(bytes) != module.digest {
                problems.append("installed module \(module.path) was changed since it was installed")
            }
            signatures.append(
                InstalledSignature(path: module.path, signature: ModuleSignatures.signature(ofModuleFile: bytes), current: currentSigner))
        }
        var entry = StatusEntry(
            name: name, version: version, kernel: kernel.release, arch: kernel.arch,
            state: install == nil ? StatusEntry.State(record.state) : .installed, reason: record.reason,
            log: FileTree.exists(log) ? log.string : nil, stale: stale, problems: problems)
        entry.installed = install?.modules.map(\.path) ?? []
        entry.overrides = install?.overridden.map(\.path) ?? []
        entry.displaced = install?.displaced.map(\.original) ?? []
        entry.signatures = signatures
        return entry
    }
}

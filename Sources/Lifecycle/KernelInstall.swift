import Codecs
import DKMSConf
import DepmodIndex
import FoundationEssentials
import Kernels
import LoadCheck
import ModuleELF
import StateStore
import Synchronization
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// One package version's committed build installed for one kernel, as a journaled transaction (the state lock is
/// held by the caller): plan, stage, journal, apply, commit. The kernel is marked for re-indexing before its
/// first file changes; the caller re-indexes once at the end of the command.
struct KernelInstall {
    let package: PackageRecord
    let release: String
    let arch: String
    let force: Bool
    let context: LifecycleContext
    /// Install the committed build again even where it is installed and intact (`sign --all`: the same modules
    /// signed with another key).
    var replacing = false

    private var state: StateStore { context.state }
    private var tree: StateTree { context.state.tree }
    private var label: String { "\(package.name)/\(package.version)" }

    /// What the install did.
    enum Result: Sendable {
        case installed(InstallRecord)
        case alreadyInstalled
    }

    func run() async throws(LifecycleError) -> Result {
        let build = try committedBuild()
        if !force, !replacing, let current = try installedRecord(package.version), current.build == build.build, intact(current) {
            return .alreadyInstalled
        }
        // Another version of this package (or an older build of this one) goes first, in its own transaction — but
        // an older version never replaces a newer one unless forced (DKMS refuses it the same way).
        for (name, version) in state.packages() where name == package.name && VersionOrder.less(package.version, version) {
            if !force, !replacing, try installedRecord(version) != nil {
                throw .newerVersionInstalled(package: package.name, installed: version, offered: package.version, release: release)
            }
        }
        let manifest = try storedManifest(build: build.build)
        let source = context.sourceDirectory(package)
        // Before anything is taken out: a refused install leaves what was installed as it was.
        if !replacing, let script = PackageScript.preInstall.command(in: manifest),
            let failure = await PackageScript.preInstall.run(
                script, source: source, package: package, kernel: (release, arch), context: context)
        {
            // DKMS: "pre_install failed, aborting install. You may override by specifying --force."
            guard force else { throw .scriptFailed(script: "PRE_INSTALL", package: label, how: failure.how, log: failure.log) }
            context.diagnostics.warning("PRE_INSTALL of \(label) failed (\(failure.how)); installed anyway (--force); log: \(failure.log)")
        }
        for (name, version) in state.packages() where name == package.name {
            if let record = try installedRecord(version) {
                try Uninstalling.uninstallHoldingLock(
                    name: name, version: version, release: release, arch: arch, record: record, context: context,
                    runsScripts: !replacing)
            }
        }
        // LoadCheck reads the kernel's Module.symvers and index while the tree is walked and the modules staged.
        let checked = manifest.modules.map { declaration in
            (
                name: ModuleFileName.moduleName(ofFileName: declaration.destName + ".ko"),
                built: tree.builtModule(
                    package.name, package.version, release: release, arch: arch, build: build.build, module: declaration.destName)
            )
        }
        let installedElsewhere = try otherInstalledModules().map { context.root.resolve(FilePath($0.module.path)) }
        // Read once: LoadCheck judges with it, signing and the compression fallback follow it.
        let config = KernelFacts.config(release: release, root: context.root)
        let signing = try await SigningPlan.forKernel(config, context: context)
        async let refusals = Self.refusals(
            of: checked, alongside: installedElsewhere, release: release, root: context.root, config: config,
            signedBy: signing?.key.certificate.signerName)
        // The re-index at the end of the command starts now: its cache is decoded while this walk runs.
        let preparation = context.indexPreparations.forKernel(release, root: context.root)
        let rivals = ModuleRivals(root: context.root, release: release, snapshot: preparation.snapshot)
        let compression = InstallPlanning.compression(settings: context.settings, rivals: rivals) { config?.moduleCompression }
        let plan = try InstallPlanning.plan(
            label: label, manifest: manifest,
            builtModule: { tree.builtModule(package.name, package.version, release: release, arch: arch, build: build.build, module: $0) },
            release: release, rivals: rivals, owners: try otherOwners(), compression: compression, settings: context.settings,
            root: context.root, force: force)

        let transaction = TransactionIdentifier.next()
        let staged = try await ModuleStaging.stage(plan, signing: signing, in: tree.staging(transaction), context: context)
        let refused = await refusals
        if !refused.isEmpty && !force {
            throw .incompatible(package: label, release: release, reasons: refused)
        }
        let moduleDirectory = context.root.moduleDirectory(release: release)
        var record = InstallRecord(
            transaction: transaction, build: build.build, time: Int(time(nil)), compression: compression.rawValue, modules: [],
            displaced: [], overridden: plan.overridden, createdDirectories: plan.createdDirectories)
        record.forcedProblems = refused
        record.bootCritical = context.settings.isBootCritical(package: package.name, remakeInitrd: manifest.remakeInitrd)
        for problem in refused { context.diagnostics.warning("installed despite LoadCheck (--force): \(problem)") }
        var steps = plan.createdDirectories.map(Journal.Step.makeDirectory)
        for displaced in plan.displaced {
            let digest: String
            do {
                digest = try ContentHash.of(file: displaced.file)
            } catch {
                throw .system(error)
            }
            let backup = system(
                tree.displacedBackup(package.name, package.version, release: release, arch: arch, relativePath: displaced.relativePath))
            steps.append(.displace(original: system(displaced.file), backup: backup, digest: digest))
            record.displaced.append(
                DisplacedModule(name: displaced.module, original: system(displaced.file), backup: backup, digest: digest))
        }
        for module in staged {
            let destination = system(moduleDirectory.appending(module.planned.relativeDestination))
            steps.append(.place(staged: system(module.staged), destination: destination, digest: module.digest))
            record.modules.append(InstalledModule(name: module.planned.name, path: destination, digest: module.digest))
        }
        let journal = Journal(
            transaction: transaction, action: .install, package: package.name, version: package.version, release: release,
            arch: arch, steps: steps)
        try commit(journal, record: record)
        if !replacing, let script = PackageScript.postInstall.command(in: manifest),
            let failure = await PackageScript.postInstall.run(
                script, source: source, package: package, kernel: (release, arch), context: context)
        {
            context.diagnostics.warning("POST_INSTALL of \(label) for \(release) failed (\(failure.how)); log: \(failure.log)")
        }
        for module in record.modules { context.step("\(label), \(release): installed \(module.path)") }
        for displaced in record.displaced { context.step("\(label), \(release): moved \(displaced.original) aside") }
        return .installed(record)
    }

    /// What the kernel will refuse about the built modules, one `MODULE: reason` per problem (LoadCheck).
    private static func refusals(
        of modules: [(name: String, built: FilePath)], alongside installed: [FilePath], release: String, root: Root,
        config: KernelConfig?, signedBy: SignerName?
    ) -> [String] {
        var kernel = KernelFacts.discover(release: release, root: root, checking: modules.map(\.built), config: config)
        // A package's modules often use each other's exports, and autoinstall indexes only at the end: what this
        // install brings and what other installs have put in place count as installed.
        kernel.adding(modulesAt: modules.map(\.built) + installed)
        return modules.flatMap { module in
            LoadCheck.check(moduleAt: module.built, against: kernel, signedBy: signedBy).refusals.map { "\(module.name): \($0)" }
        }
    }

    /// Journal, apply, commit — or, if a step fails, undo every step and report that nothing changed.
    private func commit(_ journal: Journal, record: InstallRecord) throws(LifecycleError) {
        do throws(StateError) {
            try state.begin(journal)
        } catch {
            throw .state(error)
        }
        // (The journal's rename has its fault points in `AtomicFile`, as the install record's below.)
        let transaction = Transaction(journal: journal, root: context.root)
        do throws(SystemError) {
            try transaction.apply()
        } catch {
            let undoFailure = transaction.undo()
            if undoFailure == nil { try? state.finish(journal) }
            throw .transactionFailed(
                package: label, release: release,
                reason: error.description + (undoFailure.map { "; undoing also failed (\($0)); the next command retries" } ?? ""))
        }
        do throws(StateError) {
            try state.commitInstall(record, package.name, package.version, release: release, arch: arch)
            context.initramfsDemand.note(
                release: release, name: package.name, version: package.version, record: record, settings: context.settings)
            try state.finish(journal)
        } catch {
            throw .state(error)
        }
        FaultInjection.point("after an install's journal is dropped")
    }

    private func committedBuild() throws(LifecycleError) -> BuildRecord {
        let build: BuildRecord?
        do {
            build = try state.build(package.name, package.version, release: release, arch: arch)
        } catch {
            throw .state(error)
        }
        guard let build, build.state == .built else {
            throw .notBuilt(
                name: package.name, version: package.version, release: release,
                reason: build.map { "its last build \($0.state.rawValue)" + ($0.reason.map { ": \($0)" } ?? "") } ?? "never built")
        }
        return build
    }

    private func installedRecord(_ version: String) throws(LifecycleError) -> InstallRecord? {
        do {
            return try state.installed(package.name, version, release: release, arch: arch)
        } catch {
            throw .state(error)
        }
    }

    /// Whether every file the record names still holds what was installed.
    private func intact(_ record: InstallRecord) -> Bool {
        record.modules.allSatisfy { (try? ContentHash.of(file: context.root.resolve(FilePath($0.path)))) == $0.digest }
    }

    /// The manifest the build was made from, as stored beside it (never evaluated again).
    private func storedManifest(build: String) throws(LifecycleError) -> PackageManifest {
        try StoredManifest.read(tree.manifest(package.name, package.version, release: release, arch: arch, build: build))
    }

    /// Module names other packages have installed for this kernel, with the package's label.
    private func otherOwners() throws(LifecycleError) -> [String: String] {
        var owners = [String: String]()
        for (label, module) in try otherInstalledModules() { owners[module.name] = label }
        return owners
    }

    /// The modules other packages have installed for this kernel, with the package's label.
    private func otherInstalledModules() throws(LifecycleError) -> [(label: String, module: InstalledModule)] {
        var modules = [(label: String, module: InstalledModule)]()
        for (name, version) in state.packages() where name != package.name {
            let record: InstallRecord?
            do {
                record = try state.installed(name, version, release: release, arch: arch)
            } catch {
                throw .state(error)
            }
            for module in record?.modules ?? [] { modules.append(("\(name)/\(version)", module)) }
        }
        return modules
    }

    private func system(_ path: FilePath) -> String { context.root.systemPath(of: path) }
}

/// Names transactions: sortable by time, unique across processes (pid) and within one (a counter).
enum TransactionIdentifier {
    private static let counter = Atomic<Int>(0)

    static func next() -> String {
        StateStore.newBuildIdentifier() + "-" + String(counter.add(1, ordering: .relaxed).newValue)
    }
}

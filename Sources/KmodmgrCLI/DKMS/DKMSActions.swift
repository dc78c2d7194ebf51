import Kernels
import Lifecycle
import StateStore
import SystemPackage
import SystemSupport

/// The work of each `dkms` action, through kmodmgr's library. Results are printed as kmodmgr prints them (DKMS's
/// wording is not a contract; its `status` lines and exit statuses are, and are kept).
struct DKMSActions {
    let line: DKMSCommandLine
    let context: LifecycleContext

    private var root: Root { context.root }

    func run(_ action: DKMSCommandLine.Action) async throws(LifecycleError) -> Int32 {
        switch action {
        case .add: return try await add()
        case .build: return try await build()
        case .install: return try await install()
        case .uninstall:
            let reference = try requiredReference()
            let done = try await Uninstalling.uninstall(reference, kernels: try kernelsOrAll(reference), context: context)
            for entry in done { Output.write("\(reference), \(entry.release), \(entry.arch): uninstalled\n") }
            return 0
        case .unbuild:
            let reference = try requiredReference()
            let done = try await Unbuilding.unbuild(reference, kernels: try kernelsOrAll(reference), context: context)
            for entry in done { Output.write("\(reference), \(entry.release), \(entry.arch): unbuilt\n") }
            return 0
        case .remove:
            let reference = try requiredReference()
            let removal = try await Unbuilding.remove(reference, kernels: try kernelsOrAll(reference), context: context)
            for entry in removal.kernels { Output.write("\(reference), \(entry.release), \(entry.arch): removed\n") }
            if removal.unregistered { Output.write("\(reference): removed\n") }
            return 0
        case .status: return try status()
        case .autoinstall, .kernelPostinst: return try await autoinstall()
        case .kernelPreinst: return 0
        case .kernelPrerm:
            let removed = try await Unbuilding.unbuildEveryPackage(kernels: try singleKernel(action), context: context)
            for (package, entry) in removed { Output.write("\(package), \(entry.release), \(entry.arch): removed\n") }
            return 0
        case .match: return try await match()
        case .generateMok: return try generateKey()
        case .commonPostinst: return await DKMSPackageHook(operands: line.operands, line: line, context: context).run()
        }
    }

    // MARK: Package selection

    /// `-m NAME -v VERSION` (or `NAME/VERSION`); DKMS refuses these actions without both.
    func requiredReference() throws(LifecycleError) -> PackageReference {
        guard let name = line.module else { throw .invalidReference("no module given: use -m NAME -v VERSION") }
        guard let version = line.version else {
            // DKMS needs the version; kmodmgr takes the only (newest) registered one, as its own commands do.
            return PackageReference(name: name, version: nil)
        }
        return PackageReference(name: name, version: version)
    }

    /// DKMS's `-k` list, its `--all` (every kernel the package has: an empty filter), or the running kernel.
    private func kernelsOrAll(_ reference: PackageReference) throws(LifecycleError) -> [KernelReference] {
        if line.all { return [] }
        return selectedKernels.map { KernelReference(parsing: $0) }
    }

    /// `-k` as given (with `-a`), else the running kernel.
    private var selectedKernels: [String] {
        line.kernels.isEmpty ? [RunningKernel.release] : line.kernelReferences
    }

    private func singleKernel(_ action: DKMSCommandLine.Action) throws(LifecycleError) -> [KernelReference] {
        guard line.kernels.count == 1 else { throw .invalidReference("\(action.rawValue) needs exactly one -k KVER") }
        return [KernelReference(parsing: line.kernelReferences[0])]
    }

    /// The package a build or install is about, added first when DKMS would add it: a source directory given on
    /// the command line, or `-m NAME -v VERSION` whose `/usr/src/NAME-VERSION` was never added.
    private func addedReference() async throws(LifecycleError) -> PackageReference {
        if let directory = line.sourceDirectory { return try await register(directory, quietlyIfAdded: true) }
        let reference = try requiredReference()
        if let added = try await Registration.addIfInSourceTree(reference, context: context) {
            Output.write("\(added.name)/\(added.version): added (source \(added.source))\n")
        }
        return reference
    }

    /// Registers `argument`; with `quietlyIfAdded`, one already added is simply the package meant.
    private func register(_ argument: String, quietlyIfAdded: Bool) async throws(LifecycleError) -> PackageReference {
        do {
            let added = try await Registration.add(
                argument, force: line.force, workingDirectory: ProcessEnvironment.currentDirectory, context: context)
            Output.write("\(added.name)/\(added.version): added (source \(added.source))\n")
            return PackageReference(name: added.name, version: added.version)
        } catch .alreadyAdded(let name, let version) where quietlyIfAdded {
            return PackageReference(name: name, version: version)
        }
    }

    // MARK: Actions

    private func add() async throws(LifecycleError) -> Int32 {
        if line.all { throw .invalidReference("--all is not allowed with add") }
        let argument = line.sourceDirectory ?? [line.module, line.version].compactMap { $0 }.joined(separator: "/")
        guard !argument.isEmpty else { throw .invalidReference("what to add? give DIR, DIR/dkms.conf or -m NAME -v VERSION") }
        _ = try await register(argument, quietlyIfAdded: false)
        return 0
    }

    /// The kernels a build or install is for, each checked for headers first: DKMS 3.0.11's status 21 for one
    /// that has none.
    private func kernelsWithHeaders() throws(DKMSRefusal) -> [KernelReference] {
        let kernels = selectedKernels.map { KernelReference(parsing: $0) }
        for kernel in kernels
        where line.kernelSourceDirectory == nil && KernelInventory.buildDirectory(release: kernel.release, root: root) == nil {
            throw DKMSRefusal(
                message: "the headers of kernel \(kernel.release) cannot be found at /lib/modules/\(kernel.release)/build")
        }
        return kernels
    }

    /// What build and install share: `--all` refused (as DKMS refuses it), the package added first where DKMS would,
    /// and the kernels, each with headers; nil after reporting a kernel without (DKMS 3.0.11's status 21).
    private func buildTarget(_ action: DKMSCommandLine.Action) async throws(LifecycleError)
        -> (reference: PackageReference, kernels: [KernelReference])?
    {
        if line.all { throw .invalidReference("--all is not allowed with \(action.rawValue)") }
        let reference = try await addedReference()
        do {
            return (reference, try kernelsWithHeaders())
        } catch {
            error.report()
            return nil
        }
    }

    private func build() async throws(LifecycleError) -> Int32 {
        guard let (reference, kernels) = try await buildTarget(.build) else { return DKMSStatus.noHeaders }
        let results = try await Building.build(
            reference, releases: kernels.map(\.release), arches: Self.arches(kernels),
            kernelSourceDirectory: line.kernelSourceDirectory.map { ProcessEnvironment.absolute($0) }, force: line.force,
            context: context)
        BuildReport.print(results, package: reference.description)
        return ExitStatus.of(builds: results).rawValue
    }

    private func install() async throws(LifecycleError) -> Int32 {
        guard let (reference, kernels) = try await buildTarget(.install) else { return DKMSStatus.noHeaders }
        let results = try await Installing.install(
            reference, releases: kernels.map(\.release), arches: Self.arches(kernels), force: line.force, context: context)
        InstallReport.print(results)
        if line.modprobeOnInstall { InstalledModuleLoading.load(results, root: root) }
        return ExitStatus.of(installs: results).rawValue
    }

    private func autoinstall() async throws(LifecycleError) -> Int32 {
        let kernels = selectedKernels.map { KernelReference(parsing: $0) }
        let ready = kernels.filter { KernelInventory.buildDirectory(release: $0.release, root: root) != nil }
        for kernel in kernels where !ready.contains(kernel) {
            Output.note("dkms: kernel \(kernel.release) has no headers: nothing to build for it")
        }
        guard !ready.isEmpty else { return 0 }
        let results = try await Autoinstalling.autoinstall(
            releases: ready.map(\.release), arches: Self.arches(ready), context: context)
        InstallReport.print(results)
        return ExitStatus.of(autoinstalls: results).rawValue
    }

    /// `match --templatekernel A -k B`: installs on B every package version installed on A.
    private func match() async throws(LifecycleError) -> Int32 {
        guard let template = line.templateKernel else { throw .invalidReference("match needs --templatekernel KVER") }
        let target = try singleKernel(.match)[0]
        let installed = StatusReport.entries(
            package: line.module.map { PackageReference(name: $0, version: line.version) },
            kernels: [KernelReference(parsing: template)], state: context.state, root: root
        ).filter { $0.state == .installed }
        var status: Int32 = 0
        for entry in installed {
            let results = try await Installing.install(
                PackageReference(name: entry.name, version: entry.version), releases: [target.release],
                arches: Self.arches([target]), force: line.force, context: context)
            InstallReport.print(results)
            status = max(status, ExitStatus.of(installs: results).rawValue)
        }
        return status
    }

    private func status() throws(LifecycleError) -> Int32 {
        _ = try StatusReport.settle(context: context)
        let filter = line.module.map { PackageReference(name: $0, version: line.version) }
        let entries = StatusReport.entries(
            package: filter, kernels: line.kernelReferences.map { KernelReference(parsing: $0) }, state: context.state, root: root)
        for text in DKMSStatusLines.render(entries) { Output.write(text + "\n") }
        return 0
    }

    /// DKMS 3.1's `generate_mok`: the key kmodmgr signs with, made only when discovery finds none at all (a
    /// configured key that is missing is an error, never a reason to make another).
    private func generateKey() throws(LifecycleError) -> Int32 {
        do {
            let location = try KeyManagement.required(context: context)
            Output.write("Signing key: \(location.key)\nPublic certificate (MOK): \(location.certificate)\n")
        } catch .noSigningKey {
            _ = try KeyManagement.generate(commonName: KeyManagement.defaultCommonName, replacing: false, context: context)
            Output.write("Signing key: \(SigningKeyDiscovery.ownKey)\nPublic certificate (MOK): \(SigningKeyDiscovery.ownCertificate)\n")
        }
        return 0
    }

    private static func arches(_ kernels: [KernelReference]) -> [String: String] {
        var arches = [String: String]()
        for kernel in kernels { if let arch = kernel.arch { arches[kernel.release] = arch } }
        return arches
    }
}

/// A kernel the drop-in refuses to build for (no headers: DKMS 3.0.11's status 21).
struct DKMSRefusal: Error {
    let message: String

    func report() { Output.error(message) }
}

import Kernels
import Lifecycle
import SystemPackage
import SystemSupport

/// `/usr/lib/dkms/common.postinst NAME VERSION TARBALL_ROOT ARCH UPGRADE`, which the postinst `dh_dkms` writes into
/// every `*-dkms` package runs: register the package's `/usr/src/NAME-VERSION` (again, when an upgrade of the same
/// version replaced it), then build and install it for the running kernel and the newest kernel that has headers
/// (see `kernels()`). The drop-in's common.postinst runs this as `dkms kmodmgr_common_postinst "$@"`.
///
/// Unlike Debian's script, a failed build never fails `dpkg --configure`: the failure is reported with its log and
/// kept in `status`, and the package stays configured (the kernel hooks try again with the next kernel). Debian's
/// `exit $?` there leaves a half-configured package that blocks every later apt run. Prebuilt DKMS tarballs
/// (`TARBALL_ROOT/NAME-VERSION.dkms.tar.gz`) are not loaded: the source is built instead.
struct DKMSPackageHook {
    let operands: [String]
    let line: DKMSCommandLine
    let context: LifecycleContext

    func run() async -> Int32 {
        guard operands.count >= 2, !operands[0].isEmpty, !operands[1].isEmpty else {
            Output.error("common.postinst: need NAME and VERSION (ARCH is optional)")
            return 1
        }
        let (name, version) = (operands[0], operands[1])
        let root = context.root
        if FileTree.exists(root.resolve("/etc/dkms/no-autoinstall")) {
            Output.write("autoinstall for dkms modules has been disabled (/etc/dkms/no-autoinstall).\n")
            return 0
        }
        do {
            let added = try await Registration.add(PackageReference(name: name, version: version), force: true, context: context)
            Output.write("\(added.name)/\(added.version): added (source \(added.source))\n")
        } catch {
            Output.error("common.postinst: \(error.description)")
            return 0
        }
        let releases = kernels()
        guard !releases.isEmpty else {
            Output.write("\(name)/\(version): no kernel with headers to build for; the kernel hooks build it when one arrives\n")
            return 0
        }
        var arches = [String: String]()
        if operands.count >= 4, !operands[3].isEmpty {
            let arch = Architecture.named(operands[3])?.machine ?? operands[3]
            for release in releases { arches[release] = arch }
        }
        do {
            let results = try await Installing.install(
                PackageReference(name: name, version: version), releases: releases, arches: arches, force: false, context: context)
            InstallReport.print(results)
        } catch {
            Output.error("common.postinst: \(error.description)")
        }
        return 0
    }

    /// Debian's choice: the running kernel and the newest kernel with headers; every kernel with headers when the
    /// running kernel is not this root's (a chroot, a container: Debian's script then takes every kernel in
    /// /lib/modules) or with `autoinstall_all_kernels`.
    private func kernels() -> [String] {
        let withHeaders = KernelInventory.releasesWithHeaders(root: context.root)
        let running = RunningKernel.release
        if DKMSFramework.read(root: context.root).autoinstallAllKernels
            || !FileTree.exists(context.root.moduleDirectory(release: running))
        {
            return withHeaders
        }
        var releases = [String]()
        if withHeaders.contains(running) { releases.append(running) }
        if let newest = withHeaders.last, newest != running { releases.append(newest) }
        return releases
    }
}

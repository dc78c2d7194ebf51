import ArgumentParser
import Lifecycle
import SystemSupport

/// `kmodmgr initramfs`: regenerate kernels' initramfs images now, or list what kmodmgr puts in them.
struct InitramfsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "initramfs",
        abstract: "Regenerate kernels' initramfs images with the system's generator, or list the modules kmodmgr adds to them.",
        discussion: """
            install, uninstall, unbuild, remove and autoinstall regenerate an image by themselves when their changes \
            make it stale: a boot-critical package (REMAKE_INITRD=yes in its dkms.conf, or initramfs_packages in \
            kmodmgr.conf) was installed or uninstalled, or a module the current image holds was replaced. This command \
            does it on demand, with update-initramfs -u -k KVER, dracut --force --kver KVER or mkinitcpio -P (the \
            initramfs setting), logged in /var/lib/kmodmgr/.initramfs/KVER.log. --list prints, one per line, the \
            modules the initramfs-tools hook and the dracut module add: every module of a boot-critical package and \
            every module replacing one of the kernel's own. Exit status: 0 when done, 1 when a generator failed, \(ExitStatus.skipped.rawValue) \
            when nothing was regenerated (no generator, initramfs=never, or no image to update).
            """)

    @OptionGroup var options: LifecycleOptions
    @OptionGroup var kernels: KernelSelection

    @Flag(name: .long, help: "Print the modules kmodmgr adds to the initramfs of one kernel (-k) instead; takes no lock.")
    var list = false

    func validate() throws {
        if list && (kernels.allKernels || kernels.kernels.count > 1) { throw ValidationError("--list takes one kernel (-k KVER)") }
        if kernels.arch != nil { throw ValidationError("-a/--arch has no meaning here: an initramfs belongs to a kernel release") }
    }

    func run() async throws {
        let context = try options.context(diagnostics: StandardErrorDiagnostics())
        let releases = kernels.releases(root: context.root)
        if list {
            do {
                for name in try InitramfsRegeneration.bootModules(release: releases[0], context: context) { Output.write(name + "\n") }
            } catch {
                throw fail(error)
            }
            return
        }
        let outcomes: [InitramfsRegeneration.Outcome]
        do {
            outcomes = try await InitramfsRegeneration.regenerate(releases: releases, context: context)
        } catch {
            throw fail(error)
        }
        var failed = false
        var skipped = 0
        for outcome in outcomes {
            switch outcome {
            case .regenerated(let release, let command, let log, let elapsed):
                Output.write("\(release): initramfs regenerated (\(command), \(elapsed.secondsText) s; log \(log))\n")
            case .failed(let release, let command, let reason, let log):
                Output.error("\(release): \(command): \(reason) (log \(log))")
                failed = true
            case .skipped(let release, let reason):
                Output.note("\(release): initramfs not regenerated: \(reason)")
                skipped += 1
            }
        }
        if failed { throw ExitStatus.failure.error }
        if skipped == outcomes.count { throw ExitStatus.skipped.error }
    }
}

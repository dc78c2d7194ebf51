import ArgumentParser
import SystemSupport

/// The `kmodmgr` root command: its subcommands, version and help.
struct Kmodmgr: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kmodmgr",
        abstract: "A lifecycle manager for out-of-tree Linux kernel modules.",
        discussion: """
            Every path kmodmgr reads or writes is taken under --root (default /), so a chroot, an image being \
            built, or a test tree is handled exactly like the live system. This version registers, builds and \
            installs packages (add, build, install, uninstall, remove, autoinstall, unbuild, status), indexes and \
            inspects modules (depmod, modinfo), says what is wrong with a kernel's build pipeline before make does \
            (doctor; every build runs the same checks first), checks before the kernel does that modules will load (verify), \
            loads and unloads them through libkmod (load, unload), signs what it installs for kernels that check \
            signatures and signs it again after a key change (key, sign), keeps initramfs images in step \
            (initramfs), and adopts what DKMS built and installed (import-dkms); the kernel hooks its package installs \
            run it when kernels come and go. Started as dkms (the kmodmgr-dkms package's /usr/sbin/dkms) or as \
            'kmodmgr dkms ...', it takes DKMS's command line instead (dkms(8)). Every mutating \
            command holds one lock and journals what it changes under /lib/modules, so a crash at any instant is \
            finished or undone by the next command. Options every command takes (--root, --verbose, -q, --no-wait) \
            may also come before its name.
            """,
        version: kmodmgrVersion,
        subcommands: [
            AddCommand.self, BuildCommand.self, InstallCommand.self, UninstallCommand.self, RemoveCommand.self,
            AutoinstallCommand.self, UnbuildCommand.self, StatusCommand.self, VerifyCommand.self, LoadCommand.self,
            UnloadCommand.self, InitramfsCommand.self, Modinfo.self, DepmodCommand.self, DoctorCommand.self, KeyCommand.self,
            SignCommand.self, ImportDKMSCommand.self,
        ]
    )
}

import ArgumentParser
import SystemSupport

/// The `kmodmgr` root command: its subcommands, version and help.
struct Kmodmgr: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kmodmgr",
        abstract: "A lifecycle manager for out-of-tree Linux kernel modules (this version: modinfo, depmod).",
        discussion: """
            Every path kmodmgr reads or writes is taken under --root (default /), so a chroot, an image being \
            built, or a test tree is handled exactly like the live system. Building, installing, loading and \
            verifying modules are not implemented yet.
            """,
        version: kmodmgrVersion,
        subcommands: [Modinfo.self, DepmodCommand.self]
    )
}

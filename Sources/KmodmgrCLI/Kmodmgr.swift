import ArgumentParser
import SystemSupport

/// The `kmodmgr` root command: its subcommands, version and help.
struct Kmodmgr: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kmodmgr",
        abstract: "A lifecycle manager for out-of-tree Linux kernel modules.",
        discussion: """
            Every path kmodmgr reads or writes is taken under --root (default /), so a chroot, an image being \
            built, or a test tree is handled exactly like the live system. This version registers and builds \
            packages (add, build, unbuild, status) and indexes and inspects modules (depmod, modinfo); installing, \
            loading and verifying come next.
            """,
        version: kmodmgrVersion,
        subcommands: [AddCommand.self, BuildCommand.self, UnbuildCommand.self, StatusCommand.self, Modinfo.self, DepmodCommand.self]
    )
}

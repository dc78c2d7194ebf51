import Foundation
import TestSupport
import Testing

/// The kernel hooks as the system runs them: Debian's run-parts must run kmodmgr's hooks before the initramfs
/// generators and the boot loader update (or the new initramfs would lack kmodmgr's modules), kernel-install must
/// run the plugin before dracut's, and a hook must never write stdout, read stdin, or fail the kernel's package.
/// What the hooks do for real (dpkg, apt, a kernel) is the system stage, `SystemPackageTests`.
@Suite struct HooksTests {
    static let hooks = RepositoryTests.packageRoot.appendingPathComponent("hooks")

    /// What Debian 12 and its usual packages put in `/etc/kernel/*.d`, plus what this machine has there.
    static func neighbours(of directory: String) -> [String] {
        var names = [
            "dkms", "initramfs-tools", "dracut", "zz-update-grub", "zz-systemd-boot", "apt-auto-removal", "unattended-upgrades",
            "xx-update-initrd-links",
        ]
        names += (try? FileManager.default.contentsOfDirectory(atPath: "/etc/kernel/\(directory)")) ?? []
        return Array(Set(names).subtracting(["40-kmodmgr"])).sorted()
    }

    @Test(arguments: ["postinst.d", "header_postinst.d", "prerm.d"])
    func runPartsRunsTheDebianHookBeforeTheInitramfsAndBootLoaderHooks(directory: String) throws {
        let scratch = try TemporaryDirectory()
        let ours = Self.hooks.appendingPathComponent("debian/\(directory)/40-kmodmgr")
        #expect(FileManager.default.isExecutableFile(atPath: ours.path), "\(ours.path) must exist and be executable")
        try FileManager.default.copyItem(at: ours, to: scratch.url.appendingPathComponent("40-kmodmgr"))
        for name in Self.neighbours(of: directory) {
            let path = scratch.url.appendingPathComponent(name).path
            FileManager.default.createFile(atPath: path, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        }
        // run-parts sorts with the locale's collation; check the C locale and a UTF-8 one.
        for locale in ["C", "C.UTF-8"] {
            let listed = try run("run-parts", ["--test", "--arg=6.1.0-1-amd64", scratch.url.path], environment: ["LC_ALL": locale])
            #expect(listed.status == 0)
            let order = listed.standardOutput.split(separator: "\n").map { String($0.split(separator: "/").last ?? "") }
            let position = try #require(order.firstIndex(of: "40-kmodmgr"), "run-parts does not run 40-kmodmgr (\(locale)): \(order)")
            for later in ["initramfs-tools", "dracut", "zz-update-grub", "zz-systemd-boot", "xx-update-initrd-links"] {
                let other = try #require(order.firstIndex(of: later))
                #expect(position < other, "\(directory): 40-kmodmgr runs after \(later) in \(locale): \(order)")
            }
        }
    }

    /// kernel-install (systemd 252, Debian 12) runs the plugins of /etc/kernel/install.d and /usr/lib/kernel/install.d
    /// sorted by name with `sort -V`; newer versions sort by file name too.
    @Test func kernelInstallRunsThePluginBeforeDracutAndTheLoaderEntry() throws {
        let plugin = Self.hooks.appendingPathComponent("kernel-install/40-kmodmgr.install")
        #expect(FileManager.default.isExecutableFile(atPath: plugin.path))
        let script = try String(contentsOf: try URL(fileURLWithPath: which("kernel-install")), encoding: .utf8)
        #expect(script.contains("sort -Vu"), "kernel-install no longer sorts plugins with sort -V: check the ordering again")
        let names = [
            "40-kmodmgr.install", "50-dracut.install", "50-mkinitcpio.install", "50-depmod.install", "51-dracut-rescue.install",
            "55-initrd.install", "85-initrd.install", "90-loaderentry.install", "90-uki-copy.install", "dkms",
        ]
        let sorted = try run("sh", ["-c", "printf '%s\\n' \"$@\" | sort -Vu", "sort"] + names.shuffled())
        let order = sorted.standardOutput.split(separator: "\n").map(String.init)
        #expect(order.first == "40-kmodmgr.install", "\(order)")
        #expect(names.sorted().first == "40-kmodmgr.install", "byte order (systemd ≥ 253) too")
    }

    /// Each hook, with a `kmodmgr` on PATH that fails (exit 11), writes on stdout and would read stdin: the hook
    /// exits 0, nothing reaches stdout, and the stand-in saw an empty stdin and the arguments the hook must pass.
    @Test(arguments: [
        ("debian/postinst.d/40-kmodmgr", ["6.1.0-9-amd64", "/boot/vmlinuz-6.1.0-9-amd64"], "autoinstall -k 6.1.0-9-amd64 --no-initramfs"),
        ("debian/header_postinst.d/40-kmodmgr", ["6.1.0-9-amd64"], "autoinstall -k 6.1.0-9-amd64"),
        (
            "debian/prerm.d/40-kmodmgr", ["6.1.0-9-amd64", "/boot/vmlinuz-6.1.0-9-amd64"],
            "unbuild --all-packages -k 6.1.0-9-amd64 --no-initramfs"
        ),
        (
            "kernel-install/40-kmodmgr.install", ["add", "6.1.0-9-amd64", "/boot/vmlinuz-6.1.0-9-amd64"],
            "autoinstall -k 6.1.0-9-amd64 --no-initramfs"
        ),
        ("kernel-install/40-kmodmgr.install", ["remove", "6.1.0-9-amd64"], "unbuild --all-packages -k 6.1.0-9-amd64 --no-initramfs"),
    ])
    func aHookNeverFailsNorWritesStandardOutput(hook: String, arguments: [String], expected: String) throws {
        let scratch = try TemporaryDirectory()
        let calls = scratch.url.appendingPathComponent("calls").path
        let standIn = scratch.url.appendingPathComponent("kmodmgr").path
        let script = """
            #!/bin/sh
            echo "$*" >> \(calls)
            stdin=$(cat)
            echo "stdin=[$stdin]" >> \(calls)
            echo "kmodmgr writes this on its stdout"
            exit 11
            """
        FileManager.default.createFile(atPath: standIn, contents: Data(script.utf8), attributes: [.posixPermissions: 0o755])
        let hookPath = Self.hooks.appendingPathComponent(hook).path
        // stdin carries data the hook must not pass on (dpkg's terminal, in real life).
        let result = try run(
            "sh", ["-c", "echo debconf-answer | \"$0\" \"$@\"", hookPath] + arguments,
            environment: ["PATH": "\(scratch.url.path):/usr/sbin:/usr/bin:/sbin:/bin"])
        #expect(result.status == 0, "\(hook) failed: \(result.standardError)")
        #expect(result.standardOutput.isEmpty, "\(hook) wrote on stdout: \(result.standardOutput)")
        #expect(result.standardError.contains("status 11"), "\(hook) did not report the failure: \(result.standardError)")
        let recorded = try String(contentsOfFile: calls, encoding: .utf8)
        #expect(recorded == "\(expected)\nstdin=[]\n", "\(hook): \(recorded)")
    }

    /// DKMS's /etc/dkms/no-autoinstall turns the automatic builds off (here under KMODMGR_ROOT): kmodmgr is not run.
    @Test(arguments: [
        ("debian/postinst.d/40-kmodmgr", ["6.1.0-9-amd64"]), ("debian/header_postinst.d/40-kmodmgr", ["6.1.0-9-amd64"]),
        ("kernel-install/40-kmodmgr.install", ["add", "6.1.0-9-amd64", "/boot/vmlinuz-6.1.0-9-amd64"]),
    ])
    func noAutoinstallTurnsTheBuildingHooksOff(hook: String, arguments: [String]) throws {
        let scratch = try TemporaryDirectory()
        let calls = scratch.url.appendingPathComponent("calls").path
        let standIn = scratch.url.appendingPathComponent("kmodmgr").path
        FileManager.default.createFile(
            atPath: standIn, contents: Data("#!/bin/sh\necho \"$*\" >> \(calls)\n".utf8), attributes: [.posixPermissions: 0o755])
        let root = scratch.url.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc/dkms"), withIntermediateDirectories: true)
        let environment = ["PATH": "\(scratch.url.path):/usr/sbin:/usr/bin:/sbin:/bin", "KMODMGR_ROOT": root.path]
        let hookPath = Self.hooks.appendingPathComponent(hook).path
        #expect(try run(hookPath, arguments, environment: environment).status == 0)
        #expect(FileManager.default.fileExists(atPath: calls), "\(hook) did not run kmodmgr without the switch")
        try FileManager.default.removeItem(atPath: calls)
        FileManager.default.createFile(atPath: root.appendingPathComponent("etc/dkms/no-autoinstall").path, contents: nil)
        #expect(try run(hookPath, arguments, environment: environment).status == 0)
        #expect(!FileManager.default.fileExists(atPath: calls), "\(hook) ran kmodmgr despite /etc/dkms/no-autoinstall")
    }

    @Test func aHookLeftBehindWithoutKmodmgrDoesNothing() throws {
        for hook in ["debian/postinst.d/40-kmodmgr", "debian/header_postinst.d/40-kmodmgr", "debian/prerm.d/40-kmodmgr"] {
            let result = try run(Self.hooks.appendingPathComponent(hook).path, ["6.1.0-9-amd64"], environment: ["PATH": "/nonexistent"])
            #expect(result.status == 0 && result.standardOutput.isEmpty && result.standardError.isEmpty, "\(hook)")
        }
    }

    @Test func initramfsHooksAreValidShell() throws {
        #expect(try run("sh", ["-n", Self.hooks.appendingPathComponent("initramfs-tools/kmodmgr").path]).status == 0)
        #expect(try run("bash", ["-n", Self.hooks.appendingPathComponent("dracut/50kmodmgr/module-setup.sh").path]).status == 0)
        let prereqs = try run(Self.hooks.appendingPathComponent("initramfs-tools/kmodmgr").path, ["prereqs"])
        #expect(prereqs.status == 0 && prereqs.standardOutput == "\n")
    }
}

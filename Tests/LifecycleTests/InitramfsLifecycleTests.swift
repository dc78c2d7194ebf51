import Foundation
import TestSupport
import Testing

/// When kmodmgr regenerates an initramfs, in a temporary root with real builds: only after a transaction that made
/// the image stale (a boot-critical package, or a module whose name the current image — a real zstd-compressed cpio —
/// holds), once per kernel, inside the root (chroot), logged; never with `--no-initramfs` or `initramfs=never`.
/// The generator in the root is a stand-in (static busybox recording its arguments): running update-initramfs for
/// real is the system stage's job (`SystemPackageTests`), which checks the image's contents with lsinitramfs.
@Suite struct InitramfsLifecycleTests {
    /// A root whose `/usr/sbin/update-initramfs` records its arguments in `/generator-calls`, and whose kernel has
    /// an initramfs image holding `members` (below `usr/lib/modules/<kver>/`), early cpio + zstd cpio as Debian's.
    static func rootWithGenerator(kernel: String, root: LifecycleRoot, members: [String]) throws {
        let busybox = root.directory.path("bin/busybox")
        try FileManager.default.createDirectory(at: busybox.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try which("busybox"), toPath: busybox.path)
        let generator = root.directory.path("usr/sbin/update-initramfs")
        try FileManager.default.createDirectory(at: generator.deletingLastPathComponent(), withIntermediateDirectories: true)
        let script = "#!/bin/busybox sh\necho \"$@\" >> /generator-calls\necho \"update-initramfs: Generating /boot/initrd.img-$3\"\n"
        FileManager.default.createFile(atPath: generator.path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o755])

        let content = try TemporaryDirectory()
        for member in ["usr/lib/modules/\(kernel)/modules.dep"] + members.map({ "usr/lib/modules/\(kernel)/\($0)" }) {
            let file = content.path(member)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: file.path, contents: Data("x".utf8))
        }
        let early = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: early.path("kernel/x86/microcode"), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: early.path("kernel/x86/microcode/GenuineIntel.bin").path, contents: Data("µ".utf8))
        let image = root.directory.path("boot/initrd.img-\(kernel)")
        try FileManager.default.createDirectory(at: image.deletingLastPathComponent(), withIntermediateDirectories: true)
        let pack = try run(
            "bash",
            [
                "-c",
                """
                set -eo pipefail
                (cd "$1" && find . | sort | cpio -o -H newc --quiet) > "$3"
                (cd "$2" && find . | sort | cpio -o -H newc --quiet | zstd -q -c) >> "$3"
                """,
                "pack", early.url.path, content.url.path, image.path,
            ])
        #expect(pack.status == 0, "\(pack.standardError)")
    }

    static func calls(_ root: LifecycleRoot) -> [String] {
        ((try? root.read("generator-calls")) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func aBootCriticalPackageRegeneratesOncePerTransactionAndIsListed() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels[0]
        try Self.rootWithGenerator(kernel: kernel, root: root, members: ["kernel/fs/ext4/ext4.ko"])
        try root.configure("initramfs_packages=hello\n")
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        try root.kmodmgr("add", [testPackage("multi-2.0")])

        let installed = try root.kmodmgr("install", ["hello/1.0", "-k", kernel])
        #expect(installed.status == 0, "\(installed.standardError)")
        #expect(Self.calls(root) == ["-u -k \(kernel)"], "one regeneration for the transaction")
        #expect(
            installed.standardError.contains("\(kernel): initramfs regenerated because hello/1.0 is boot-critical"),
            "\(installed.standardError)")
        let log = try root.read("var/lib/kmodmgr/.initramfs/\(kernel).log")
        #expect(log.contains("## /usr/sbin/chroot \(root.path) /usr/sbin/update-initramfs -u -k \(kernel)"), "\(log)")
        #expect(log.contains("Generating /boot/initrd.img-\(kernel)") && log.contains("## exit status 0 after"), "\(log)")
        #expect(try root.read(root.kernelState("hello/1.0", kernel) + "/installed").contains("initramfs=yes\n"))
        #expect(try root.kmodmgr("initramfs", ["--list", "-k", kernel]).standardOutput == "kmm_hello\n")

        // Nothing changed: no regeneration. A package that is not boot-critical and replaces nothing: none either.
        #expect(try root.kmodmgr("install", ["hello/1.0", "-k", kernel]).status == 0)
        let other = try root.kmodmgr("install", ["multi/2.0", "-k", kernel])
        #expect(other.status == 0, "\(other.standardError)")
        #expect(!other.standardError.contains("initramfs"), "\(other.standardError)")
        #expect(Self.calls(root).count == 1)

        // The hooks' --no-initramfs: said, not done.
        let hooked = try root.kmodmgr("uninstall", ["hello/1.0", "-k", kernel, "--no-initramfs"])
        #expect(hooked.status == 0)
        #expect(hooked.standardError.contains("initramfs not regenerated (--no-initramfs) although hello/1.0 is boot-critical"))
        #expect(Self.calls(root).count == 1)
        #expect(try root.kmodmgr("initramfs", ["--list", "-k", kernel]).standardOutput == "")

        // On demand.
        let demanded = try root.kmodmgr("initramfs", ["-k", kernel])
        #expect(demanded.status == 0, "\(demanded.standardError)")
        #expect(demanded.standardOutput.hasPrefix("\(kernel): initramfs regenerated ("))
        #expect(Self.calls(root).count == 2)

        try root.configure("initramfs=never\ninitramfs_packages=hello\n")
        let never = try root.kmodmgr("initramfs", ["-k", kernel])
        #expect(never.status == 77 && never.standardError.contains("initramfs=never"), "\(never.standardError)")
        let quiet = try root.kmodmgr("install", ["hello/1.0", "-k", kernel])
        #expect(
            quiet.status == 0
                && quiet.standardError.contains("initramfs not regenerated although hello/1.0 is boot-critical: initramfs=never"))
        #expect(Self.calls(root).count == 2)

        // The kernel going away (the prerm.d hook): every package's builds go, and so does what the state tree kept
        // about the kernel itself; the packages stay added.
        let gone = try root.kmodmgr("unbuild", ["--all-packages", "-k", kernel, "--no-initramfs"])
        #expect(gone.status == 0 && gone.standardOutput.contains("hello/1.0, \(kernel), x86_64: unbuilt\n"), "\(gone.standardError)")
        for leftover in [".initramfs/\(kernel).log", ".kernels/\(kernel)", ".build/\(kernel)", "hello/1.0/\(kernel)"] {
            #expect(!root.exists("var/lib/kmodmgr/\(leftover)"), "\(leftover) left")
        }
        #expect(try root.kmodmgr("status", []).standardOutput == "hello/1.0: added\nmulti/2.0: added\n")
    }

    @Test func replacingAModuleTheCurrentImageHoldsRegeneratesIt() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        try root.populateInTree(kernel)
        try Self.rootWithGenerator(kernel: kernel, root: root, members: ["kernel/drivers/net/dummy.ko", "kernel/fs/ext4/ext4.ko"])
        try root.kmodmgr("add", [testPackage("shadow-1.0")])
        try root.kmodmgr("add", [testPackage("hello-1.0")])

        let hello = try root.kmodmgr("install", ["hello/1.0", "-k", kernel])
        #expect(hello.status == 0 && Self.calls(root).isEmpty, "kmm_hello is not in the image: \(hello.standardError)")
        let shadow = try root.kmodmgr("install", ["shadow/1.0", "-k", kernel])
        #expect(shadow.status == 0, "\(shadow.standardError)")
        #expect(
            shadow.standardError.contains("because shadow/1.0 replaces dummy, which the current initramfs holds"), "\(shadow.standardError)"
        )
        #expect(Self.calls(root) == ["-u -k \(kernel)"])
        #expect(try root.kmodmgr("initramfs", ["--list", "-k", kernel]).standardOutput == "dummy\n")

        try root.kmodmgr("uninstall", ["shadow/1.0", "-k", kernel])
        #expect(Self.calls(root).count == 2, "taking the replacement out makes the image stale again")
    }

    @Test func withoutAGeneratorTheAdminIsToldAndTheInstallStands() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels[0]
        try root.configure("initramfs_packages=hello\n")
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        let installed = try root.kmodmgr("install", ["hello/1.0", "-k", kernel])
        #expect(installed.status == 0)
        #expect(
            installed.standardError.contains("initramfs not regenerated although hello/1.0 is boot-critical: no initramfs generator"),
            "\(installed.standardError)")
        #expect(try root.kmodmgr("initramfs", ["-k", kernel]).status == 77)
        let bad = try root.kmodmgr("initramfs", ["--list", "-k", kernel, "-k", kernel])
        #expect(bad.status == 64)
    }
}

import Foundation
import TestSupport
import Testing

/// install → uninstall → remove, overriding and moving aside in-tree modules, conflicts, compressed kernels and
/// autoinstall for a new kernel — through the real binary, real kbuild, real modules, with the real depmod as the
/// oracle of every index.
@Suite(.serialized) struct InstallLifecycleTests {
    @Test func installUninstallAndRemoveKeepTheIndexEqualToDepmods() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        let inTree = try root.snapshot(try root.populateInTree(kernel))
        try root.kmodmgr("add", [testPackage("hello-1.0")])

        let installed = try root.kmodmgr("install", ["hello/1.0", "-k", kernel])
        #expect(installed.status == 0, "\(installed.standardError)")
        let destination = "/lib/modules/\(kernel)/updates/kmodmgr/kmm_hello.ko"
        #expect(installed.standardOutput == "hello/1.0, \(kernel), x86_64: installed (\(destination))\n")
        #expect(try root.agreement(kernel, inTree: inTree) == [])
        #expect(try root.read("lib/modules/\(kernel)/modules.dep").contains("updates/kmodmgr/kmm_hello.ko:\n"))
        // Stripped (STRIP defaults to yes): no debug sections left, and smaller than what was built.
        let sections = try run("readelf", ["-S", "-W", root.directory.path(String(destination.dropFirst())).path]).standardOutput
        #expect(!sections.contains(".debug_"), "debug sections were not stripped")
        #expect(try root.kmodmgr("status", []).standardOutput == "hello/1.0, \(kernel), x86_64: installed\n")

        let again = try root.kmodmgr("install", ["hello/1.0", "-k", kernel])
        #expect(again.standardOutput == "hello/1.0, \(kernel), x86_64: installed (already)\n")

        let uninstalled = try root.kmodmgr("uninstall", ["hello/1.0", "-k", kernel])
        #expect(uninstalled.standardOutput == "hello/1.0, \(kernel), x86_64: uninstalled\n")
        #expect(!root.exists("lib/modules/\(kernel)/updates"), "the directories the install created are removed")
        #expect(try root.agreement(kernel, inTree: inTree) == [])
        #expect(try root.kmodmgr("status", []).standardOutput == "hello/1.0, \(kernel), x86_64: built\n")

        try root.kmodmgr("install", ["hello/1.0", "-k", kernel])
        let removed = try root.kmodmgr("remove", ["hello/1.0", "--all"])
        #expect(removed.standardOutput == "hello/1.0, \(kernel), x86_64: removed\nhello/1.0: removed\n", "\(removed.standardError)")
        #expect(try root.kmodmgr("status", []).standardOutput == "")
        #expect(try root.agreement(kernel, inTree: inTree) == [])
    }

    @Test func aModuleNamedLikeAnInTreeOneOverridesItOrIsSwappedInAndTheOriginalRestoredExactly() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        let inTree = try root.snapshot(try root.populateInTree(kernel))
        try root.kmodmgr("add", [testPackage("shadow-1.0")])

        // Default: updates/kmodmgr outranks kernel/ in depmod's search order; the in-tree module stays untouched.
        let overriding = try root.kmodmgr("install", ["shadow/1.0", "-k", kernel])
        #expect(overriding.status == 0, "\(overriding.standardError)")
        #expect(overriding.standardOutput.contains("(overrides /lib/modules/\(kernel)/kernel/drivers/net/dummy.ko)"))
        let dependencies = try root.read("lib/modules/\(kernel)/modules.dep")
        #expect(dependencies.contains("updates/kmodmgr/dummy.ko:") && !dependencies.contains("kernel/drivers/net/dummy.ko:"))
        #expect(try root.agreement(kernel, inTree: inTree) == [])
        try root.kmodmgr("uninstall", ["shadow/1.0", "-k", kernel])
        #expect(try root.agreement(kernel, inTree: inTree) == [])

        // DEST_MODULE_LOCATION=/kernel/drivers/net: the same path — the original is moved aside and comes back.
        try root.configure("install_location=manifest\n")
        let swapped = try root.kmodmgr("install", ["shadow/1.0", "-k", kernel])
        #expect(swapped.status == 0, "\(swapped.standardError)")
        #expect(swapped.standardOutput.contains("(moved aside /lib/modules/\(kernel)/kernel/drivers/net/dummy.ko)"))
        let original = "lib/modules/\(kernel)/kernel/drivers/net/dummy.ko"
        #expect(try bytes(of: root.directory.path(original)) != inTree[original], "the package's module is in place")
        #expect(root.exists(root.kernelState("shadow/1.0", kernel) + "/displaced/kernel/drivers/net/dummy.ko"))
        #expect(try root.kmodmgr("status", []).standardOutput.contains("(moved aside /\(original))"))
        #expect(try root.agreement(kernel, inTree: inTree) == [])

        try root.kmodmgr("remove", ["shadow/1.0", "--all"])
        #expect(try bytes(of: root.directory.path(original)) == inTree[original], "the original is back, byte for byte")
        #expect(try root.agreement(kernel, inTree: inTree) == [])
    }

    @Test func twoPackagesWithTheSameModuleNameAreRefusedAndNothingChanges() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        let inTree = try root.snapshot(try root.populateInTree(kernel))
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        try root.kmodmgr("add", [testPackage("twin-1.0")])
        #expect(try root.kmodmgr("install", ["hello/1.0", "-k", kernel]).status == 0)
        let index = try root.read("lib/modules/\(kernel)/modules.dep")

        let refused = try root.kmodmgr("install", ["twin/1.0", "-k", kernel])
        #expect(refused.status == 1)
        // Notes aside (no signing key under this root).
        let errors = refused.standardError.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("kmodmgr: note: ") }.joined(separator: "\n")
        #expect(
            errors
                == "kmodmgr: error: twin/1.0, \(kernel), x86_64: twin/1.0 cannot install module kmm_hello for \(kernel): "
                + "hello/1.0 has installed a module of that name\n")
        #expect(try root.read("lib/modules/\(kernel)/modules.dep") == index)
        #expect(try root.kmodmgr("status", ["twin"]).standardOutput == "twin/1.0, \(kernel), x86_64: built\n")
        #expect(try root.agreement(kernel, inTree: inTree) == [])
    }

    @Test func aKernelWhoseModulesAreXzCompressedGetsXzModulesThatLibkmodReads() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        let inTree = try root.snapshot(try root.populateInTree(kernel, xz: true))
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        let installed = try root.kmodmgr("install", ["hello/1.0", "-k", kernel])
        #expect(installed.status == 0, "\(installed.standardError)")
        let file = "lib/modules/\(kernel)/updates/kmodmgr/kmm_hello.ko.xz"
        #expect(root.exists(file))
        // The in-kernel decompressor's settings: CRC32 check, 1 MiB dictionary.
        let listing = try run("xz", ["--robot", "--list", "-vv", root.directory.path(file).path]).standardOutput
        #expect(listing.contains("CRC32"), "\(listing)")
        // libkmod (through kmod's modinfo) finds it by name in the index and reads it.
        let found = try run("modinfo", ["-b", root.path, "-k", kernel, "-F", "filename", "kmm_hello"])
        #expect(found.standardOutput == root.directory.path(file).path + "\n", "\(found.standardError)")
        let described = try run("modinfo", ["-b", root.path, "-k", kernel, "-F", "description", "kmm_hello"])
        #expect(described.standardOutput == "kmodmgr test module kmm_hello\n", "\(described.standardError)")
        #expect(try root.agreement(kernel, inTree: inTree) == [])
    }

    @Test func autoinstallForANewKernelBuildsAndInstallsEveryAutoinstallPackage() throws {
        let root = try LifecycleRoot()
        let (old, new) = (root.kernels[root.kernels.count - 2], root.kernels[root.kernels.count - 1])
        for package in ["hello-1.0", "multi-2.0", "broken-1.0", "exclusive-1.0", "twin-1.0"] {
            try root.kmodmgr("add", [testPackage(package)])
        }
        #expect(try root.kmodmgr("install", ["hello/1.0", "-k", old]).status == 0)
        #expect(try root.kmodmgr("install", ["multi/2.0", "-k", old]).status == 0)

        let result = try root.kmodmgr("autoinstall", ["-k", new])
        #expect(result.status == 11, "the broken package fails: \(result.standardError)")
        let output = result.standardOutput
        #expect(output.contains("hello/1.0, \(new), x86_64: installed (/lib/modules/\(new)/updates/kmodmgr/kmm_hello.ko)"))
        #expect(output.contains("multi/2.0, \(new), x86_64: installed ("))
        #expect(output.contains("exclusive/1.0, \(new), x86_64: skipped (BUILD_EXCLUSIVE_KERNEL"))
        #expect(!output.contains("twin/1.0"), "twin has no AUTOINSTALL")
        #expect(result.standardError.contains("broken/1.0, \(new), x86_64: build failed: "), "\(result.standardError)")
        #expect(result.standardError.contains("; log: \(root.path)/var/lib/kmodmgr/broken/1.0/\(new)/x86_64/log/"))
        let status = try root.kmodmgr("status", ["-k", new]).standardOutput
        #expect(status.contains("hello/1.0, \(new), x86_64: installed\n") && status.contains("multi/2.0, \(new), x86_64: installed\n"))
        #expect(try root.indexDifferences(new) == [])
        // Installed for both kernels now, each its own build.
        #expect(try root.kmodmgr("status", ["hello", "-k", old]).standardOutput == "hello/1.0, \(old), x86_64: installed\n")

        let rerun = try root.kmodmgr("autoinstall", ["-k", new])
        #expect(rerun.standardOutput.contains("hello/1.0, \(new), x86_64: installed (already)"))
    }
}

/// DKMS's version check, made honest: a newer same-named module is not replaced, and the install says so.
@Suite(.serialized) struct InstallVersionCheckTests {
    @Test func aNewerSameNamedModuleIsKeptAndTheInstallFailsUnlessForced() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        try root.populateInTree(kernel)
        try root.kmodmgr("add", [testPackage("shadow-1.0")])
        #expect(try root.kmodmgr("build", ["shadow/1.0", "-k", kernel]).status == 0)
        // Another tool's dummy.ko with version 9.0: the package's own module with its version string patched.
        var module = try bytes(of: URL(fileURLWithPath: try root.builtModulePath("shadow/1.0", kernel, "dummy")))
        let version = Array("version=1.0".utf8)
        let at = try #require((0...(module.count - version.count)).first { Array(module[$0..<$0 + version.count]) == version })
        module.replaceSubrange(at..<at + version.count, with: Array("version=9.0".utf8))
        let foreign = root.directory.path("lib/modules/\(kernel)/extra/dummy.ko")
        try FileManager.default.createDirectory(at: foreign.deletingLastPathComponent(), withIntermediateDirectories: true)
        try write(module, to: foreign)
        try run("depmod", ["-b", root.path, kernel])
        let index = try root.read("lib/modules/\(kernel)/modules.dep")

        let refused = try root.kmodmgr("install", ["shadow/1.0", "-k", kernel])
        #expect(refused.status == 1)
        #expect(
            refused.standardError.contains(
                "module dummy not installed: /lib/modules/\(kernel)/extra/dummy.ko has version 9.0, newer than 1.0 (use --force"),
            "\(refused.standardError)")
        #expect(try root.kmodmgr("status", []).standardOutput == "shadow/1.0, \(kernel), x86_64: built\n")
        #expect(try root.read("lib/modules/\(kernel)/modules.dep") == index)

        let forced = try root.kmodmgr("install", ["shadow/1.0", "-k", kernel, "--force"])
        #expect(forced.status == 0, "\(forced.standardError)")
        #expect(try root.read("lib/modules/\(kernel)/modules.dep").contains("updates/kmodmgr/dummy.ko:"))
        #expect(try root.indexDifferences(kernel) == [])
    }
}

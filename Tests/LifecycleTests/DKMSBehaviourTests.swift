import Foundation
import TestSupport
import Testing

/// What DKMS's users rely on and kmodmgr's own commands do alike: `add DIR/dkms.conf`, build and install of a
/// `/usr/src` version never added (added first), and autoinstall for a kernel without headers (nothing failed).
@Suite struct DKMSBehaviourTests {
    @Test func addTakesTheDkmsConfItself() throws {
        let root = try LifecycleRoot()
        try RealDKMS(root: root).placeSource("hello-1.0")
        let added = try root.kmodmgr("add", [root.directory.path("usr/src/hello-1.0/dkms.conf").path])
        #expect(added.status == 0 && added.standardOutput == "hello/1.0: added (source /usr/src/hello-1.0)\n", "\(added.standardError)")
    }

    @Test(arguments: ["build", "install"]) func aVersionInTheSourceTreeIsAddedFirst(_ command: String) throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        try RealDKMS(root: root).placeSource("hello-1.0")
        let result = try root.kmodmgr(command, ["hello/1.0", "-k", kernel])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.hasPrefix("hello/1.0: added (source /usr/src/hello-1.0)\n"), "\(result.standardOutput)")
        let state = command == "build" ? "built" : "installed"
        #expect(try root.kmodmgr("status", []).standardOutput.hasPrefix("hello/1.0, \(kernel), x86_64: \(state)"))
        // Not in the source tree: still an error, nothing added.
        #expect(try root.kmodmgr(command, ["nothere/1.0", "-k", kernel]).status == 1)
    }

    @Test func autoinstallForAKernelWithoutHeadersSkipsAndSucceeds() throws {
        let root = try LifecycleRoot()
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        let result = try root.kmodmgr("autoinstall", ["-k", "9.9.9-1-amd64"])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("0 installed, 1 skipped, 0 failed"), "\(result.standardOutput)")
        #expect(
            result.standardOutput.contains("hello/1.0, 9.9.9-1-amd64, x86_64: skipped (kernel 9.9.9-1-amd64 has no headers"),
            "\(result.standardOutput)")
    }
}

extension DKMSBehaviourTests {
    /// An older version never replaces a newer installed one unless forced; a newer one replaces an older one.
    @Test func anOlderVersionDoesNotReplaceANewerOneUnlessForced() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        let work = try TemporaryDirectory()
        let newer = try package("hello", version: "2.0", from: "hello-1.0", in: work)
        try root.kmodmgr("add", [try package("hello", from: "hello-1.0", in: work)])
        try root.kmodmgr("add", [newer])
        #expect(try root.kmodmgr("install", ["hello/2.0", "-k", kernel]).status == 0)
        let refused = try root.kmodmgr("install", ["hello/1.0", "-k", kernel])
        #expect(refused.status == 1)
        #expect(
            refused.standardError.contains("hello/2.0 is installed for \(kernel), newer than 1.0 (--force installs the older one)"),
            "\(refused.standardError)")
        #expect(try root.kmodmgr("status", ["hello/2.0"]).standardOutput.hasPrefix("hello/2.0, \(kernel), x86_64: installed"))
        #expect(try root.kmodmgr("install", ["hello/1.0", "-k", kernel, "--force"]).status == 0)
        #expect(try root.kmodmgr("status", ["hello/1.0"]).standardOutput.hasPrefix("hello/1.0, \(kernel), x86_64: installed"))
        #expect(try root.kmodmgr("install", ["hello/2.0", "-k", kernel]).status == 0)
        #expect(try root.kmodmgr("status", ["hello/1.0"]).standardOutput.hasPrefix("hello/1.0, \(kernel), x86_64: built"))
    }
}

extension DKMSBehaviourTests {
    /// `$module` and `$module_version` hold the package's name and version while dkms.conf is read, as DKMS sets
    /// them: a make command built from them (tp-smapi's `M=${dkms_tree}/${PACKAGE_NAME}/…` shape) finds its build.
    @Test func moduleAndModuleVersionAreThePackagesWhenTheFileIsRead() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        let work = try TemporaryDirectory()
        let source = work.path("named-1.0")
        try copyHelloModuleSource(into: source)
        try """
        PACKAGE_NAME="named"
        PACKAGE_VERSION="1.0"
        BUILT_MODULE_NAME[0]="kmm_hello"
        MAKE[0]="make -C ${kernel_source_dir} M=${dkms_tree}/${module}/${module_version}/build"

        """.write(to: source.appendingPathComponent("dkms.conf"), atomically: true, encoding: .utf8)
        #expect(try root.kmodmgr("add", [source.path]).status == 0)
        let built = try root.kmodmgr("build", ["named/1.0", "-k", kernel])
        #expect(built.status == 0, "\(built.standardOutput)\(built.standardError)")
    }
}

extension DKMSBehaviourTests {
    /// A copy of test package `template` as NAME-VERSION with `extra` lines appended to its dkms.conf (hello's
    /// module renamed kmm_NAME, so that two such packages can be installed together).
    func package(
        _ name: String, version: String = "1.0", from template: String, extra: String = "", in work: TemporaryDirectory
    ) throws -> String {
        let source = work.path("\(name)-\(version)")
        try FileManager.default.copyItem(atPath: testPackage(template), toPath: source.path)
        let conf = source.appendingPathComponent("dkms.conf")
        let text = try String(contentsOf: conf, encoding: .utf8)
            .replacingOccurrences(of: #"PACKAGE_NAME=".*""#, with: "PACKAGE_NAME=\"\(name)\"", options: .regularExpression)
            .replacingOccurrences(of: #"PACKAGE_VERSION=".*""#, with: "PACKAGE_VERSION=\"\(version)\"", options: .regularExpression)
            .replacingOccurrences(of: "POST_ADD=\"post-add.sh\"\n", with: "")
        try (text + extra).write(to: conf, atomically: true, encoding: .utf8)
        if template == "hello-1.0" && name != "hello" {
            // A module of its own name: two copies of hello's kmm_hello would conflict for one kernel.
            let module = "kmm_\(name)"
            try FileManager.default.moveItem(
                at: source.appendingPathComponent("kmm_hello.c"), to: source.appendingPathComponent("\(module).c"))
            try "obj-m := \(module).o\n".write(to: source.appendingPathComponent("Kbuild"), atomically: true, encoding: .utf8)
            try (text.replacingOccurrences(of: "kmm_hello", with: module) + extra).write(to: conf, atomically: true, encoding: .utf8)
        }
        return source.path
    }

    /// autoinstall never builds a package before what it names in BUILD_DEPENDS is installed: one whose
    /// dependency is not registered, or failed to build in the same run, is reported failed and not built; one
    /// whose dependency installs first is built after it.
    @Test func autoinstallBuildsNoDependentBeforeItsDependencyIsInstalled() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        let work = try TemporaryDirectory()
        for (name, template, extra) in [
            ("base", "broken-1.0", ""), ("top", "hello-1.0", "BUILD_DEPENDS[0]=\"base\"\n"),
            ("orphan", "hello-1.0", "BUILD_DEPENDS[0]=\"absent\"\n"),
        ] {
            #expect(try root.kmodmgr("add", [try package(name, from: template, extra: extra, in: work)]).status == 0)
        }
        let result = try root.kmodmgr("autoinstall", ["-k", kernel])
        #expect(result.status == 11)
        #expect(
            result.standardError.contains("top/1.0, \(kernel), x86_64: BUILD_DEPENDS base was not installed for this kernel"),
            "\(result.standardError)")
        #expect(
            result.standardError.contains("orphan/1.0, \(kernel), x86_64: BUILD_DEPENDS absent is not registered"),
            "\(result.standardError)")
        let status = try root.kmodmgr("status", []).standardOutput
        #expect(status.contains("top/1.0: added") && status.contains("orphan/1.0: added"), "neither may be built:\n\(status)")
        // With its dependency installed, the dependent is built after it.
        #expect(try root.kmodmgr("remove", ["base/1.0", "--all-kernels"]).status == 0)
        let fixed = try TemporaryDirectory()
        #expect(try root.kmodmgr("add", [try package("base", from: "hello-1.0", extra: "", in: fixed), "--force"]).status == 0)
        #expect(try root.kmodmgr("remove", ["orphan/1.0", "--all-kernels"]).status == 0)
        let again = try root.kmodmgr("autoinstall", ["-k", kernel])
        #expect(again.status == 0, "\(again.standardOutput)\(again.standardError)")
        let order = again.standardOutput.split(separator: "\n").filter { $0.contains(": installed") }.map {
            $0.prefix(while: { $0 != "/" })
        }
        #expect(order == ["base", "top"], "\(again.standardOutput)")
    }
}

extension DKMSBehaviourTests {
    /// DKMS's per-package overrides in /etc/dkms are read after the package's dkms.conf: NAME.conf for every kernel,
    /// NAME-VERSION-KVER.conf for one (natively, or by bash when they need it).
    @Test(arguments: [false, true]) func overridesInEtcDkmsApply(_ needsShell: Bool) throws {
        let root = try LifecycleRoot()
        let (kernel, other) = (root.kernels.last!, root.kernels.first!)
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        let etc = root.directory.path("etc/dkms")
        try FileManager.default.createDirectory(at: etc, withIntermediateDirectories: true)
        let off = needsShell ? "if true; then AUTOINSTALL=\"no\"; fi\n" : "AUTOINSTALL=\"no\"\n"
        try off.write(to: etc.appendingPathComponent("hello.conf"), atomically: true, encoding: .utf8)
        try "BUILD_EXCLUSIVE_KERNEL=\"^2\\\\.\"\n".write(
            to: etc.appendingPathComponent("hello-1.0-\(other).conf"), atomically: true, encoding: .utf8)
        let autoinstalled = try root.kmodmgr("autoinstall", ["-k", kernel])
        #expect(autoinstalled.status == 0 && !autoinstalled.standardOutput.contains("hello/1.0"), "\(autoinstalled.standardOutput)")
        #expect(try root.kmodmgr("build", ["hello/1.0", "-k", kernel]).status == 0)
        let excluded = try root.kmodmgr("build", ["hello/1.0", "-k", other])
        #expect(excluded.status == 77, "\(excluded.standardOutput)\(excluded.standardError)")
    }
}

extension DKMSBehaviourTests {
    /// `BUILD_EXCLUSIVE_CONFIG[i]` (i ≥ 1) leaves module i out of a kernel without those options; the others are
    /// built and installed.
    @Test func aModulesOwnBuildExclusiveConfigLeavesItOut() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        let work = try TemporaryDirectory()
        let source = work.path("multi-2.0")
        try FileManager.default.copyItem(atPath: testPackage("multi-2.0"), toPath: source.path)
        let conf = source.appendingPathComponent("dkms.conf")
        try (String(contentsOf: conf, encoding: .utf8) + "BUILD_EXCLUSIVE_CONFIG[1]=\"CONFIG_KMODMGR_NEVER_SET\"\n")
            .write(to: conf, atomically: true, encoding: .utf8)
        #expect(try root.kmodmgr("add", [source.path]).status == 0)
        let installed = try root.kmodmgr("install", ["multi/2.0", "-k", kernel])
        #expect(installed.status == 0, "\(installed.standardError)")
        #expect(
            installed.standardError.contains("kmm_beta_renamed left out (BUILD_EXCLUSIVE_CONFIG: CONFIG_KMODMGR_NEVER_SET is not enabled"),
            "\(installed.standardError)")
        #expect(try root.builtModules("multi/2.0", kernel) == ["kmm_alpha"])
        #expect(root.exists("lib/modules/\(kernel)/updates/kmodmgr/kmm_alpha.ko"))
        #expect(!root.exists("lib/modules/\(kernel)/updates/kmodmgr/kmm_beta_renamed.ko"))
    }
}

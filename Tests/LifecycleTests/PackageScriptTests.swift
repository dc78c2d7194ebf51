import Foundation
import TestSupport
import Testing

/// `PRE_INSTALL`, `POST_INSTALL` and `POST_REMOVE` run as DKMS runs them (from the source directory, with `module`,
/// `module_version`, `kernelver`, `arch`), but contained: as the build user, in the sandbox, logged. A failing
/// `PRE_INSTALL` stops the install unless `--force`.
@Suite struct PackageScriptTests {
    @Test func installScriptsRunContainedAndAFailingPreInstallStopsTheInstall() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        let work = try TemporaryDirectory()
        let source = work.path("scripted-1.0")
        try FileManager.default.copyItem(atPath: testPackage("scripted-1.0"), toPath: source.path)
        try copyHelloModuleSource(into: source)
        try root.kmodmgr("add", [source.path])
        let log = { (script: String) in (try? root.read("var/lib/kmodmgr/scripted/1.0/log/\(script)-\(kernel)-x86_64.log")) ?? "" }
        let marker = root.directory.path("usr/src/scripted-1.0/fail-pre-install")
        FileManager.default.createFile(atPath: marker.path, contents: nil)

        let refused = try root.kmodmgr("install", ["scripted/1.0", "-k", kernel])
        #expect(refused.status == 1)
        #expect(
            refused.standardError.contains("PRE_INSTALL of scripted/1.0 failed (exit status 1), so it was not installed"),
            "\(refused.standardError)")
        #expect(!root.exists("lib/modules/\(kernel)/updates/kmodmgr/kmm_hello.ko"))
        #expect(log("post-install").isEmpty)
        let forced = try root.kmodmgr("install", ["scripted/1.0", "-k", kernel, "--force"])
        #expect(forced.status == 0 && forced.standardError.contains("installed anyway (--force)"), "\(forced.standardError)")

        try FileManager.default.removeItem(at: marker)
        #expect(try root.kmodmgr("uninstall", ["scripted/1.0", "-k", kernel]).status == 0)
        #expect(log("post-remove").contains("post-remove: \(kernel)\n/var/tmp is read-only"), "\(log("post-remove"))")
        #expect(try root.kmodmgr("install", ["scripted/1.0", "-k", kernel]).status == 0)
        #expect(
            log("pre-install").contains("pre-install: scripted 1.0 \(kernel) x86_64, uid 65534, in \(root.path)/usr/src/scripted-1.0"),
            "\(log("pre-install"))")
        #expect(log("post-install").contains("post-install: \(kernel)"), "\(log("post-install"))")

        // A new build whose PRE_INSTALL fails leaves the installed one in place.
        FileManager.default.createFile(atPath: marker.path, contents: nil)
        #expect(try root.kmodmgr("build", ["scripted/1.0", "-k", kernel, "--force"]).status == 0)
        #expect(try root.kmodmgr("install", ["scripted/1.0", "-k", kernel]).status == 1)
        #expect(root.exists("lib/modules/\(kernel)/updates/kmodmgr/kmm_hello.ko"), "the installed module was taken out")
        #expect(try root.kmodmgr("status", ["scripted/1.0"]).standardOutput.hasPrefix("scripted/1.0, \(kernel), x86_64: installed"))
    }
}

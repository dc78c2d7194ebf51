import Foundation
import TestSupport
import Testing

/// `verify` and the LoadCheck gate of `install`, through the real binary with real builds: an intact install
/// verifies; a tampered file, a missing index entry and a lost backup are each caught (exit 1); a build the kernel
/// would refuse is not installed unless forced, and the force is recorded.
@Suite(.serialized) struct VerifyLifecycleTests {
    @Test func verifyCatchesATamperedFileAndAMissingIndexEntry() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        _ = try root.populateInTree(kernel)
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        let installed = try root.kmodmgr("install", ["hello/1.0", "-k", kernel])
        #expect(installed.status == 0, "\(installed.standardError)")
        let destination = "lib/modules/\(kernel)/updates/kmodmgr/kmm_hello.ko"

        let intact = try root.kmodmgr("verify", ["hello/1.0"])
        #expect(intact.status == 0, "\(intact.standardOutput)\(intact.standardError)")
        #expect(intact.standardOutput.contains("kmm_hello.ko: loads into \(kernel)"), "\(intact.standardOutput)")

        let file = root.directory.path(destination)
        let original = try bytes(of: file)
        try write(original + [0], to: file)
        let tampered = try root.kmodmgr("verify", [])
        #expect(tampered.status == 1)
        #expect(tampered.standardOutput.contains("changed since it was installed"), "\(tampered.standardOutput)")
        try write(original, to: file)

        let dep = root.directory.path("lib/modules/\(kernel)/modules.dep")
        let index = try root.read("lib/modules/\(kernel)/modules.dep")
        try write(Array(index.split(separator: "\n").filter { !$0.contains("kmm_hello") }.joined(separator: "\n").utf8) + [10], to: dep)
        let unindexed = try root.kmodmgr("verify", ["hello", "-k", kernel])
        #expect(unindexed.status == 1)
        #expect(unindexed.standardOutput.contains("not listed in modules.dep"), "\(unindexed.standardOutput)")
        try write(Array(index.utf8), to: dep)
        #expect(try root.kmodmgr("verify", []).status == 0)
    }

    /// A build whose module needs a symbol nothing exports (stranger-1.0): LoadCheck refuses it before install;
    /// `--force` installs it with the reason recorded in the install record; `verify` keeps saying the kernel will
    /// refuse it.
    @Test func installRefusesWhatTheKernelWillRefuseUnlessForced() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        try root.kmodmgr("add", [testPackage("stranger-1.0")])
        let refused = try root.kmodmgr("install", ["stranger/1.0", "-k", kernel])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("Unknown symbol kmm_nowhere"), "\(refused.standardError)")
        #expect(!root.exists("lib/modules/\(kernel)/extra"), "something was installed")
        #expect(try root.kmodmgr("status", []).standardOutput == "stranger/1.0, \(kernel), x86_64: built\n")

        let forced = try root.kmodmgr("install", ["stranger/1.0", "-k", kernel, "--force"])
        #expect(forced.status == 0, "\(forced.standardError)")
        #expect(forced.standardError.contains("Unknown symbol kmm_nowhere"), "the forced install does not warn")
        #expect(
            try root.read(root.kernelState("stranger/1.0", kernel) + "/installed").contains(
                "forced=kmm_stranger: Unknown symbol kmm_nowhere"))
        let verified = try root.kmodmgr("verify", ["stranger/1.0"])
        #expect(verified.status == 1)
        #expect(verified.standardOutput.contains("will refuse it: Unknown symbol kmm_nowhere"), "\(verified.standardOutput)")
    }
}

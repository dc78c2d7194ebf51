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

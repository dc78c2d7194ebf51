import Foundation
import TestSupport
import Testing

/// The drop-in `dkms` against the real DKMS 3.0.10: the same command lines run by both, each in a root of its own
/// with the same sources — every step must end with the same exit status, and `dkms status` must print the same
/// lines after it. Where kmodmgr deliberately differs, a separate test says how.
@Suite struct DKMSFrontEndTests {
    static let sources = ["hello-1.0", "broken-1.0", "exclusive-1.0", "multi-2.0"]

    @Test func everyCommandReachesTheStateDKMSReachesWithItsExitStatus() throws {
        let theirs = try LifecycleRoot()
        let ours = try LifecycleRoot()
        let kernel = theirs.kernels.last!
        let other = theirs.kernels.first { $0 != kernel }!
        let dkms = RealDKMS(root: theirs)
        for source in Self.sources {
            try dkms.placeSource(source)
            try RealDKMS(root: ours).placeSource(source)
        }
        let steps: [[String]] = [
            ["add", "-m", "hello", "-v", "1.0"],
            ["add", "-m", "hello", "-v", "1.0"],
            ["build", "-m", "hello", "-v", "1.0", "-k", kernel],
            ["build", "hello/1.0", "-k", kernel],
            ["install", "-m", "hello/1.0", "-k", kernel],
            ["install", "--module=hello", "-v", "1.0", "--kernelver=\(kernel)"],
            ["status", "-m", "hello"], ["status", "-m", "nothere"], ["status", "-k", kernel],
            ["status", "hello/1.0", "-k", kernel, "-a", "x86_64"],
            ["uninstall", "-m", "hello", "-v", "1.0", "-k", kernel],
            ["unbuild", "-m", "hello", "-v", "1.0", "-k", kernel],
            ["install", "-m", "multi", "-v", "2.0", "-k", kernel],
            ["build", "-m", "broken", "-v", "1.0", "-k", kernel],
            ["build", "-m", "exclusive", "-v", "1.0", "-k", kernel],
            ["autoinstall", "-k", kernel],
            ["remove", "-m", "multi", "-v", "2.0", "--all"],
            ["remove", "-m", "hello", "-v", "1.0", "--all"],
            ["remove", "-m", "nothere", "-v", "1.0", "--all"],
            ["build", "--bogus"],
            ["add", "ROOT/usr/src/hello-1.0/dkms.conf"],
            ["install", "-m", "hello", "-v", "1.0", "-k", kernel, "-q"],
            ["build", "-m", "hello", "-v", "1.0", "-k", kernel, "--force", "--verbose"],
            ["install", "-m", "hello", "-v", "1.0", "-k", kernel, "--rpm_safe_upgrade", "--force"],
            ["uninstall", "-m", "hello", "-v", "1.0", "--all"],
            ["remove", "hello/1.0", "-k", kernel],
            ["remove", "hello/1.0", "-k", other],
        ]
        for step in steps {
            let theirResult = try dkms.run(step.map { $0.replacingOccurrences(of: "ROOT", with: theirs.path) } + ["--no-depmod"])
            let ourResult = try dropIn(step.map { $0.replacingOccurrences(of: "ROOT", with: ours.path) } + ["--no-depmod"], root: ours)
            let said =
                "dkms \(step.joined(separator: " ")):\nDKMS: \(theirResult.standardOutput)\(theirResult.standardError)\nkmodmgr: \(ourResult.standardOutput)\(ourResult.standardError)"
            #expect(ourResult.status == theirResult.status, "\(said)")
            let theirStatus = try dkms.run(["status"]).standardOutput
            #expect(try dropIn(["status"], root: ours).standardOutput == theirStatus, "after \(said)")
            if step.contains("-q") { #expect(ourResult.standardOutput.isEmpty) }
        }
    }

    /// What the drop-in does differently, on purpose: DKMS 3.0.11's status 21 for a kernel without headers (3.0.10
    /// says 1), an unknown action refused (DKMS reads it as a module name and exits 0), an autoinstall for a
    /// kernel without headers is not an error, `--version` names both, and `match` works (DKMS 3.0.10's misreads
    /// its own status lines: "Could not find module source directory …/hello/1.0-KVER").
    @Test func deliberateDifferences() throws {
        let ours = try LifecycleRoot()
        let (kernel, other) = (ours.kernels.last!, ours.kernels.first!)
        try RealDKMS(root: ours).placeSource("hello-1.0")
        #expect(try dropIn(["install", "-m", "hello", "-v", "1.0", "-k", kernel], root: ours).status == 0)
        let matched = try dropIn(["match", "--templatekernel", kernel, "-k", other], root: ours)
        #expect(matched.status == 0, "\(matched.standardError)")
        #expect(try dropIn(["status", "-k", other], root: ours).standardOutput == "hello/1.0, \(other), x86_64: installed\n")
        #expect(try dropIn(["remove", "-m", "hello", "-v", "1.0", "--all"], root: ours).status == 0)
        try RealDKMS(root: ours).placeSource("hello-1.0")
        #expect(try dropIn(["add", "-m", "hello", "-v", "1.0"], root: ours).status == 0)
        let noHeaders = try dropIn(["install", "-m", "hello", "-v", "1.0", "-k", "9.9.9-nothere"], root: ours)
        #expect(
            noHeaders.status == 21 && noHeaders.standardError.contains("the headers of kernel 9.9.9-nothere"), "\(noHeaders.standardError)")
        #expect(try dropIn(["autoinstall", "-k", "9.9.9-nothere"], root: ours).status == 0)
        let unknown = try dropIn(["mkdeb", "-m", "hello"], root: ours)
        #expect(unknown.status == 1 && unknown.standardError.contains("no action given"), "\(unknown.standardError)")
        let version = try dropIn(["--version"], root: ours)
        #expect(version.standardOutput.hasPrefix("dkms-3.0.10 (kmodmgr "))
    }

    /// Started as `dkms` (the kmodmgr-dkms package's link), framework.conf read: a setting kmodmgr has is honoured,
    /// one it has not is named with its line.
    @Test func startedAsDkmsItReadsFrameworkConf() throws {
        let ours = try LifecycleRoot()
        let links = try TemporaryDirectory()
        let dkms = links.path("dkms").path
        try FileManager.default.createSymbolicLink(atPath: dkms, withDestinationPath: try kmodmgrBinary())
        try FileManager.default.createDirectory(at: ours.directory.path("etc/dkms"), withIntermediateDirectories: true)
        try "# DKMS settings\nsign_file=\"/usr/lib/linux-kbuild-6.1/scripts/sign-file\"\nparallel_jobs=3\n".write(
            to: ours.directory.path("etc/dkms/framework.conf"), atomically: true, encoding: .utf8)
        let status = try run(dkms, ["status", "--root", ours.path])
        #expect(status.status == 0 && status.standardOutput.isEmpty)
        #expect(status.standardError.contains("/etc/dkms/framework.conf:2: sign_file is not honoured"), "\(status.standardError)")
        #expect(!status.standardError.contains("parallel_jobs"))
        // parallel_jobs=3 takes effect: make runs with -j3 (by default, one job per CPU).
        try RealDKMS(root: ours).placeSource("hello-1.0")
        let kernel = ours.kernels.last!
        #expect(try run(dkms, ["build", "-m", "hello", "-v", "1.0", "-k", kernel, "--root", ours.path]).status == 0)
        let logs = ours.directory.path("var/lib/kmodmgr/hello/1.0/\(kernel)/x86_64/log")
        let log = try String(
            contentsOf: logs.appendingPathComponent(try #require(FileManager.default.contentsOfDirectory(atPath: logs.path).first)),
            encoding: .utf8)
        #expect(log.contains("make -j3 KERNELRELEASE=\(kernel)"), "\(log)")
    }

    func dropIn(_ arguments: [String], root: LifecycleRoot) throws -> ProcessResult {
        try run(try kmodmgrBinary(), ["dkms"] + arguments + ["--root", root.path], timeLimit: .seconds(900))
    }
}

extension DKMSFrontEndTests {
    /// What `/usr/lib/dkms/common.postinst NAME VERSION …` does through the drop-in: registers /usr/src/NAME-VERSION
    /// and installs it (here, where the running kernel is not the root's: for every kernel with headers); a build
    /// that fails never fails the package's configuration; /etc/dkms/no-autoinstall turns it off.
    @Test func commonPostinstRegistersAndInstallsAndNeverFails() throws {
        let root = try LifecycleRoot()
        for source in ["hello-1.0", "broken-1.0"] { try RealDKMS(root: root).placeSource(source) }
        let hook = ["kmodmgr_common_postinst", "hello", "1.0", "/usr/share/hello-dkms", "", ""]
        try FileManager.default.createDirectory(at: root.directory.path("etc/dkms"), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: root.directory.path("etc/dkms/no-autoinstall").path, contents: nil)
        let off = try dropIn(hook, root: root)
        #expect(off.status == 0 && off.standardOutput.contains("autoinstall for dkms modules has been disabled"))
        #expect(try root.kmodmgr("status", []).standardOutput.isEmpty)
        try FileManager.default.removeItem(at: root.directory.path("etc/dkms/no-autoinstall"))

        let installed = try dropIn(hook, root: root)
        #expect(installed.status == 0, "\(installed.standardError)")
        let status = try root.kmodmgr("status", []).standardOutput
        for kernel in root.kernels { #expect(status.contains("hello/1.0, \(kernel), x86_64: installed"), "\(status)") }
        let failed = try dropIn(["kmodmgr_common_postinst", "broken", "1.0", "/usr/share/broken-dkms", "", ""], root: root)
        #expect(failed.status == 0 && failed.standardError.contains("build failed"), "\(failed.standardError)")
        #expect(try root.kmodmgr("status", ["broken/1.0"]).standardOutput.contains("failed"))
        #expect(try dropIn(["kmodmgr_common_postinst"], root: root).status == 1)
    }
}

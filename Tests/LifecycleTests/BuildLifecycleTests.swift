import Foundation
import TestSupport
import Testing

/// add → build → status → unbuild through the real binary, with real kbuild against the real headers of two
/// kernels, in a temporary root.
@Suite(.serialized) struct BuildLifecycleTests {
    @Test func aSinglePackageBuildsForTwoKernelsAndIsNotRebuiltUntilItsSourceChanges() throws {
        let root = try LifecycleRoot()
        let (old, new) = (root.kernels[root.kernels.count - 2], root.kernels[root.kernels.count - 1])
        let added = try root.kmodmgr("add", [testPackage("hello-1.0")])
        #expect(added.status == 0, "\(added.standardError)")
        #expect(added.standardOutput == "hello/1.0: added (source /usr/src/hello-1.0, copied)\n")
        #expect(root.exists("usr/src/hello-1.0/dkms.conf"))
        let postAdd = try root.read("var/lib/kmodmgr/hello/1.0/log/post-add.log")
        #expect(postAdd.contains("post-add ran as uid 65534 in \(root.path)/usr/src/hello-1.0"), "\(postAdd)")

        let built = try root.kmodmgr("build", ["hello/1.0", "-k", old, "-k", new])
        #expect(built.status == 0, "\(built.standardError)")
        #expect(built.standardOutput.contains("hello/1.0, \(old), x86_64: built (kmm_hello)"))
        #expect(built.standardOutput.contains("hello/1.0, \(new), x86_64: built (kmm_hello)"))
        for kernel in [old, new] {
            let module = try root.builtModulePath("hello/1.0", kernel, "kmm_hello")
            let vermagic = try run(try which("modinfo"), ["-F", "vermagic", module]).standardOutput
            #expect(vermagic.hasPrefix(kernel + " "), "built against the wrong headers: \(vermagic)")
        }
        let status = try root.kmodmgr("status", [])
        #expect(status.standardOutput == "hello/1.0, \(old), x86_64: built\nhello/1.0, \(new), x86_64: built\n")

        let again = try root.kmodmgr("build", ["hello/1.0", "-k", new])
        #expect(again.standardOutput == "hello/1.0, \(new), x86_64: built (up to date)\n")

        // A changed source is noticed by status (stale) and rebuilt by build.
        let source = root.directory.path("usr/src/hello-1.0/kmm_hello.c")
        try (String(contentsOf: source, encoding: .utf8) + "\n// changed\n").write(to: source, atomically: true, encoding: .utf8)
        #expect(try root.kmodmgr("status", ["-k", new]).standardOutput == "hello/1.0, \(new), x86_64: built (stale: source changed)\n")
        let rebuilt = try root.kmodmgr("build", ["hello/1.0", "-k", new])
        #expect(rebuilt.standardOutput.hasPrefix("hello/1.0, \(new), x86_64: built (kmm_hello) in "))

        let unbuilt = try root.kmodmgr("unbuild", ["-m", "hello", "-v", "1.0", "-k", old])
        #expect(unbuilt.standardOutput == "hello/1.0, \(old), x86_64: unbuilt\n")
        #expect(try root.kmodmgr("status", []).standardOutput == "hello/1.0, \(new), x86_64: built\n")
        try root.kmodmgr("unbuild", ["hello/1.0", "--all"])
        #expect(try root.kmodmgr("status", []).standardOutput == "hello/1.0: added\n")
        #expect(!root.exists("var/lib/kmodmgr/.build/\(new)"), "scratch build directories are removed")
    }

    @Test func severalModulesInSubdirectoriesPatchedWithARenameAndANonMakeCommand() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        try root.kmodmgr("add", [testPackage("multi-2.0")])
        let built = try root.kmodmgr("build", ["multi/2.0", "-k", kernel])
        #expect(built.status == 0, "\(built.standardError)")
        #expect(try root.builtModules("multi/2.0", kernel) == ["kmm_alpha", "kmm_beta_renamed"])
        let logs = try FileManager.default.contentsOfDirectory(
            atPath: root.directory.path(root.kernelState("multi/2.0", kernel) + "/log").path)
        let log = try root.read(root.kernelState("multi/2.0", kernel) + "/log/" + logs[0])
        #expect(log.contains("## make: /usr/bin/env make -C"), "\(log)")
        #expect(log.contains("MAKEFLAGS=-j") && !log.contains("KERNELRELEASE="), "parallelism through MAKEFLAGS: \(log)")
        #expect(log.contains("(as uid 65534)"), "make runs as the unprivileged build user")
        #expect(log.contains("## patch describe.patch: /usr/bin/patch -p1 -i "))
        #expect(!log.contains("never-applied.patch"), "PATCH_MATCH rules the second patch out")
        let alpha = try root.builtModulePath("multi/2.0", kernel, "kmm_alpha")
        #expect(try run(try which("modinfo"), ["-F", "description", alpha]).standardOutput == "kmm_alpha, patched\n")
    }

    @Test func aFailingBuildIsRecordedAsFailedWithTheCompilerErrorAndItsLog() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        try root.kmodmgr("add", [testPackage("broken-1.0")])
        let built = try root.kmodmgr("build", ["broken/1.0", "-k", kernel])
        #expect(built.status == 10)
        #expect(built.standardError.contains("broken/1.0, \(kernel), x86_64: build failed: make failed (exit status 2); log: "))
        #expect(built.standardError.contains("this_identifier_does_not_exist"), "the log's tail shows the compiler error")
        let status = try root.kmodmgr("status", ["broken"])
        #expect(status.standardOutput.hasPrefix("broken/1.0, \(kernel), x86_64: failed (make failed (exit status 2); log: "))
        let entries = try FileManager.default.contentsOfDirectory(atPath: root.directory.path(root.kernelState("broken/1.0", kernel)).path)
        #expect(entries.sorted() == ["log", "record"], "nothing half-built is kept")
    }

    @Test func aBuildExclusiveMismatchIsSkippedWithItsOwnExitStatus() throws {
        let root = try LifecycleRoot()
        try root.kmodmgr("add", [testPackage("exclusive-1.0")])
        let built = try root.kmodmgr("build", ["exclusive/1.0", "--all-kernels"])
        #expect(built.status == 77)
        #expect(built.standardOutput.split(separator: "\n").count == root.kernels.count)
        #expect(built.standardOutput.contains("skipped (BUILD_EXCLUSIVE_KERNEL"))
        #expect(try root.kmodmgr("status", []).standardOutput.contains(": skipped (BUILD_EXCLUSIVE_KERNEL"))
    }

    @Test func aDkmsConfThatNeedsTheShellIsEvaluatedUnprivilegedAndBuilds() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        try root.kmodmgr("add", [testPackage("shelly-1.0")])
        let built = try root.kmodmgr("build", ["shelly/1.0", "-k", kernel])
        #expect(built.status == 0, "\(built.standardError)")
        #expect(try root.builtModules("shelly/1.0", kernel) == ["kmm_shelly"], "the .config was sourced, $(…) ran")
        #expect(try root.read(root.kernelState("shelly/1.0", kernel) + "/record").contains("evaluation=shell\n"))

        // The admin can forbid the shell path: then the same package is refused, naming the file.
        try FileManager.default.createDirectory(at: root.directory.path("etc/kmodmgr"), withIntermediateDirectories: true)
        try "shell_manifests=no\n".write(to: root.directory.path("etc/kmodmgr/kmodmgr.conf"), atomically: true, encoding: .utf8)
        let refused = try root.kmodmgr("build", ["shelly/1.0", "-k", kernel, "--force"])
        #expect(refused.status == 10)
        #expect(refused.standardError.contains("dkms.conf"), "\(refused.standardError)")
    }

    @Test func hostilePathsAreRefusedAndNothingIsRegistered() throws {
        let root = try LifecycleRoot()
        let added = try root.kmodmgr("add", [testPackage("hostile-1.0")])
        #expect(added.status == 1)
        #expect(added.standardError.contains("dkms.conf:"), "\(added.standardError)")
        #expect(added.standardError.contains("BUILT_MODULE_LOCATION"), "\(added.standardError)")
        #expect(added.standardError.split(separator: "\n").count == 1, "one line")
        #expect(try root.kmodmgr("status", []).standardOutput == "")
        #expect(!root.exists("var/lib/kmodmgr/hostile"))
    }

    @Test func missingHeadersNameTheKernelAndTheDebianPackage() throws {
        let root = try LifecycleRoot()
        try FileManager.default.createDirectory(at: root.directory.path("lib/modules/9.9.9-1-amd64"), withIntermediateDirectories: true)
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        let built = try root.kmodmgr("build", ["hello/1.0", "-k", "9.9.9-1-amd64"])
        #expect(built.status == 10)
        #expect(built.standardError.contains("kernel 9.9.9-1-amd64 has no headers (/lib/modules/9.9.9-1-amd64/build does not exist)"))
        #expect(built.standardError.contains("fix: install linux-headers-9.9.9-1-amd64"))
    }

    @Test func addingTwiceIsRefusedUnlessForcedAndBrokenSourcesMakeStatusFail() throws {
        let root = try LifecycleRoot()
        #expect(try root.kmodmgr("add", [testPackage("hello-1.0")]).status == 0)
        let twice = try root.kmodmgr("add", [testPackage("hello-1.0")])
        #expect(twice.status == 1)
        #expect(twice.standardError == "kmodmgr: error: hello/1.0 is already added (use --force to add it again)\n")
        #expect(try root.kmodmgr("add", ["--force", "hello/1.0"]).status == 0)
        try root.kmodmgr("unbuild", ["hello/1.0", "--all"])
        try FileManager.default.removeItem(at: root.directory.path("var/lib/kmodmgr/hello"))
        let replacing = try root.kmodmgr("add", [testPackage("hello-1.0")])
        #expect(replacing.status == 1, "an unregistered /usr/src/hello-1.0 is not overwritten without --force")
        #expect(replacing.standardError.contains("usr/src/hello-1.0 already exists (use --force"))
        #expect(try root.kmodmgr("add", ["--force", testPackage("hello-1.0")]).status == 0)
        try FileManager.default.removeItem(at: root.directory.path("usr/src/hello-1.0"))
        let status = try root.kmodmgr("status", [])
        #expect(status.status == 1)
        #expect(status.standardOutput == "hello/1.0: added (BROKEN: source /usr/src/hello-1.0 is missing)\n")
    }
}

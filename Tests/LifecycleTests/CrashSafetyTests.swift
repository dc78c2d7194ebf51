import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// kill -9 at every step of install and uninstall, timed kills, and several kmodmgr processes at once: afterwards
/// (and after any next command) the state tree, the files under lib/modules and the index always agree.
@Suite(.serialized) struct CrashSafetyTests {
    /// `KMODMGR_TEST_KILL_AT=N` makes kmodmgr SIGKILL itself at its N-th step; N goes up until a run completes.
    @Test func killedAtEveryStepOfAnInstallOrUninstallTheNextCommandFinishesOrUndoesIt() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        let inTree = try root.snapshot(try root.populateInTree(kernel))
        // DEST_MODULE_LOCATION over the in-tree dummy.ko: the transaction moves a module aside and puts it back.
        try root.configure("install_location=manifest\n")
        try root.kmodmgr("add", [testPackage("shadow-1.0")])
        #expect(try root.kmodmgr("build", ["shadow/1.0", "-k", kernel]).status == 0)

        for command in ["install", "uninstall"] {
            var point = 1
            while true {
                // Start from the state the command expects.
                let setup = try root.kmodmgr(command == "install" ? "uninstall" : "install", ["shadow/1.0", "-k", kernel])
                #expect(setup.status == 0, "\(setup.standardError)")
                let killed = try root.kmodmgr(command, ["shadow/1.0", "-k", kernel], environment: ["KMODMGR_TEST_KILL_AT": "\(point)"])
                if !killed.signaled {
                    #expect(killed.status == 0, "\(command) not killed at step \(point): \(killed.standardError)")
                    break
                }
                #expect(killed.status == SIGKILL)
                // The next command — status, or the interrupted command run again — settles everything first.
                let next = try root.kmodmgr(point % 2 == 0 ? "status" : command, point % 2 == 0 ? [] : ["shadow/1.0", "-k", kernel])
                #expect(next.status == 0, "after a kill at step \(point) of \(command): \(next.standardError)")
                let problems = try root.agreement(kernel, inTree: inTree)
                #expect(problems == [], "after a kill at step \(point) of \(command)")
                point += 1
                if point > 80 { Issue.record("\(command) never completed"); break }
            }
            #expect(point > 10, "\(command) passed fewer crash points than it has steps")
        }
        try root.kmodmgr("remove", ["shadow/1.0", "--all"])
        #expect(try root.agreement(kernel, inTree: inTree) == [])
    }

    /// Real SIGKILLs from outside at moments spread over an install's run.
    @Test func killedFromOutsideAtArbitraryMomentsEverythingStillAgrees() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        let inTree = try root.snapshot(try root.populateInTree(kernel))
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        #expect(try root.kmodmgr("build", ["hello/1.0", "-k", kernel]).status == 0)
        for delay in [0.02, 0.05, 0.08, 0.12, 0.16, 0.2, 0.3, 0.45] {
            for command in ["install", "uninstall"] {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: try kmodmgrBinary())
                process.arguments = [command, "--root", root.path, "hello/1.0", "-k", kernel]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                Thread.sleep(forTimeInterval: delay)
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                #expect(try root.kmodmgr("status", []).status == 0)
                let problems = try root.agreement(kernel, inTree: inTree)
                #expect(problems == [], "\(command) killed after \(delay) s")
            }
        }
    }

    @Test func installsAndUninstallsStartedAtOnceEndConsistent() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        let inTree = try root.snapshot(try root.populateInTree(kernel))
        for package in ["hello-1.0", "multi-2.0", "shadow-1.0"] { try root.kmodmgr("add", [testPackage(package)]) }
        let commands: [[String]] = [
            ["install", "hello/1.0"], ["install", "multi/2.0"], ["install", "shadow/1.0"], ["uninstall", "hello/1.0"],
            ["install", "hello/1.0"], ["uninstall", "multi/2.0"],
        ]
        let results = Mutex<[ProcessResult]>([])
        DispatchQueue.concurrentPerform(iterations: commands.count) { index in
            let result = try? root.kmodmgr(commands[index][0], [commands[index][1], "-k", kernel])
            if let result { results.withLock { $0.append(result) } }
        }
        let finished = results.withLock { $0 }
        #expect(finished.count == commands.count)
        for result in finished { #expect(result.status == 0, "\(result.standardError)") }
        #expect(try root.agreement(kernel, inTree: inTree) == [])
        let status = try root.kmodmgr("status", []).standardOutput
        #expect(status.contains("shadow/1.0, \(kernel), x86_64: installed"), "\(status)")
    }

    @Test func aSecondCommandWaitsForTheLockOrWithNoWaitFailsAtOnce() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        let lockFile = root.directory.path("var/lib/kmodmgr/.lock").path
        let descriptor = open(lockFile, O_RDWR | O_CREAT, 0o644)
        #expect(descriptor >= 0 && flock(descriptor, LOCK_EX) == 0)
        _ = "\(getpid())\n".withCString { write(descriptor, $0, strlen($0)) }

        let refused = try root.kmodmgr("install", ["--no-wait", "hello/1.0", "-k", kernel])
        #expect(refused.status == 1)
        #expect(
            refused.standardError == "kmodmgr: error: \(lockFile) is held by another kmodmgr (pid \(getpid())) and --no-wait was given\n")
        #expect(!root.exists("var/lib/kmodmgr/hello/1.0/\(kernel)"), "nothing was done")

        let waiting = Process()
        waiting.executableURL = URL(fileURLWithPath: try kmodmgrBinary())
        waiting.arguments = ["build", "--root", root.path, "hello/1.0", "-k", kernel]
        let errors = Pipe()
        waiting.standardError = errors
        waiting.standardOutput = FileHandle.nullDevice
        try waiting.run()
        Thread.sleep(forTimeInterval: 1)
        #expect(waiting.isRunning, "the second command waits while the lock is held")
        close(descriptor)
        waiting.waitUntilExit()
        #expect(waiting.terminationStatus == 0)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("waiting for another kmodmgr (pid \(getpid())) to release \(lockFile)"), "\(message)")
    }
}

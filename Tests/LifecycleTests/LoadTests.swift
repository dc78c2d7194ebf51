import Foundation
import TestSupport
import Testing

/// Twenty mutating commands at once on one root — installs, uninstalls, autoinstalls, a remove, over two packages
/// and two kernels — with what a kernel hook runs arriving in the middle: they are serialised by the state lock,
/// every one ends (none waits past a bound), and afterwards state, files and index agree with depmod's.
@Suite struct LoadTests {
    @Test func twentyCommandsAndAHookAtOnceEndConsistent() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        let other = root.kernels.first { $0 != kernel }!
        let inTree = try root.snapshot(try root.populateInTree(kernel))
        for package in ["hello-1.0", "multi-2.0", "exclusive-1.0"] { try root.kmodmgr("add", [testPackage(package)]) }
        // Built beforehand: the commands then spend their time on the lock and the index, not in make.
        for package in ["hello/1.0", "multi/2.0"] { try root.kmodmgr("build", [package, "-k", kernel, "-k", other]) }

        let binary = try kmodmgrBinary()
        var commands = [[String]]()
        for round in 0..<4 {
            let k = round.isMultiple(of: 2) ? kernel : other
            commands += [
                ["install", "hello/1.0", "-k", k], ["install", "multi/2.0", "-k", k], ["uninstall", "hello/1.0", "-k", k],
                ["autoinstall", "-k", k, "--no-initramfs"], ["uninstall", "multi/2.0", "-k", k],
            ]
        }
        commands[7] = ["remove", "exclusive/1.0", "--all-kernels"]
        #expect(commands.count == 20)
        let clock = ContinuousClock()
        let start = clock.now
        let ends = Mutexed<[Int: Duration]>([:])
        var processes = [Process]()
        for (index, arguments) in commands.enumerated() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [arguments[0], "--root", root.path] + arguments.dropFirst()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            process.terminationHandler = { _ in ends.update { $0[index] = clock.now - start } }
            try process.run()
            processes.append(process)
            if index == 10 {
                // The kernel hook (postinst.d: autoinstall for the new kernel, the initramfs left to its generator).
                let hook = Process()
                hook.executableURL = URL(fileURLWithPath: binary)
                hook.arguments = ["autoinstall", "--root", root.path, "-k", kernel, "--no-initramfs"]
                hook.standardOutput = FileHandle.nullDevice
                hook.standardError = FileHandle.nullDevice
                hook.terminationHandler = { _ in ends.update { $0[20] = clock.now - start } }
                try hook.run()
                processes.append(hook)
            }
        }
        // A watchdog instead of a test time limit (which would count the test's wait for a thread too): a command
        // still running after ten minutes is killed, and the bound below then fails.
        let running = processes
        DispatchQueue.global().asyncAfter(deadline: .now() + 600) {
            for process in running where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        for process in processes { process.waitUntilExit() }
        // Termination handlers run after waitUntilExit returns: give the last ones a moment to record.
        for _ in 0..<100 where ends.value.count < 21 { Thread.sleep(forTimeInterval: 0.1) }
        let durations = ends.value
        #expect(durations.count == 21)
        let slowest = durations.values.max() ?? .zero
        // Each command alone takes well under a second with its build done; serialised, all 21 take a minute at
        // most here. No command may wait past that bound.
        #expect(slowest < .seconds(120), "a command waited \(slowest)")
        for (index, process) in processes.enumerated() {
            #expect([0, 1, 77].contains(process.terminationStatus), "command \(index) ended with \(process.terminationStatus)")
        }
        let status = try root.kmodmgr("status", [])
        #expect(status.status == 0 && !status.standardOutput.contains("BROKEN"), "\(status.standardOutput)")
        for problem in try root.agreement(kernel, inTree: inTree) { Issue.record("\(kernel): \(problem)") }
    }
}

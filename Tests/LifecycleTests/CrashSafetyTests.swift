import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// kill -9 at every step of install, uninstall, autoinstall, unbuild and remove — before and after every rename into
/// place — timed kills, and several kmodmgr processes at once: afterwards (and after any next command) the state tree,
/// the files under lib/modules and the index always agree, and no temp file of kmodmgr's is left anywhere.
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
            let arguments = [command, "shadow/1.0", "-k", kernel]
            let kills = try killAtEveryPoint(
                of: arguments, in: root, kernel: kernel, inTree: inTree,
                // Start from the state the command expects.
                prepare: {
                    let setup = try root.kmodmgr(command == "install" ? "uninstall" : "install", ["shadow/1.0", "-k", kernel])
                    #expect(setup.status == 0, "\(setup.standardError)")
                },
                // The next command — status, or the interrupted command run again — settles everything first.
                next: { $0 % 2 == 0 ? ["status"] : arguments })
            #expect(kills.points > 20, "\(command) passed fewer crash points than it has steps")
            #expect(kills.labels.contains("before renaming a file into place"))
            #expect(kills.labels.contains("before renaming a member of a file set into place"))
        }
        try root.kmodmgr("remove", ["shadow/1.0", "--all"])
        #expect(try root.agreement(kernel, inTree: inTree) == [])
    }

    /// autoinstall from a package that is only added: killed while storing the build's result (a `.partial`
    /// directory and the scratch copy exist), committing its record, and at every step of the install and index.
    @Test func killedAtEveryStepOfAnAutoinstallThatBuildsTheNextCommandCleansUp() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        let inTree = try root.snapshot(try root.populateInTree(kernel))
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        // A first build caches the headers' digest (`.kernels/`), so that every run below passes the same points.
        #expect(try root.kmodmgr("build", ["hello/1.0", "-k", kernel]).status == 0)
        let arguments = ["autoinstall", "-k", kernel]
        let kills = try killAtEveryPoint(
            of: arguments, in: root, kernel: kernel, inTree: inTree,
            prepare: {
                let setup = try root.kmodmgr("unbuild", ["hello/1.0", "-k", kernel])
                #expect(setup.status == 0, "\(setup.standardError)")
            },
            next: { $0 % 2 == 0 ? ["status"] : arguments })
        #expect(kills.points > 20)
        #expect(kills.scratchLeft > 0, "no kill happened while a build's scratch copy existed")
        #expect(kills.partialLeft > 0, "no kill left a partial build result")
        let status = try root.kmodmgr("status", []).standardOutput
        #expect(status.contains("hello/1.0, \(kernel), x86_64: installed"), "\(status)")
    }

    /// unbuild and remove of an installed package that moved an in-tree module aside, each killed at every step;
    /// every run starts from a copy of the same installed state (no build per run).
    @Test func killedAtEveryStepOfAnUnbuildOrRemoveTheNextCommandFinishesIt() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        let inTree = try root.snapshot(try root.populateInTree(kernel))
        try root.configure("install_location=manifest\n")
        try root.kmodmgr("add", [testPackage("shadow-1.0")])
        #expect(try root.kmodmgr("install", ["shadow/1.0", "-k", kernel]).status == 0)
        let installed = try root.save(kernel)
        for arguments in [["unbuild", "shadow/1.0", "-k", kernel], ["remove", "shadow/1.0", "--all"]] {
            let kills = try killAtEveryPoint(
                of: arguments, in: root, kernel: kernel, inTree: inTree, prepare: { try root.restore(installed, kernel) },
                next: { $0 % 2 == 0 ? ["status"] : arguments },
                // Run again after the package was forgotten, remove has nothing to remove.
                tolerated: { $0.standardError.contains("shadow/1.0 is not added") })
            #expect(kills.points > 20, "\(arguments[0]) passed fewer crash points than it has steps")
        }
    }

    /// `sign --all` after a key change, killed at every step: it replaces modules through the install transaction
    /// (the shadowing package moves an in-tree module aside and back), so the next command settles it the same way.
    @Test func killedAtEveryStepOfASignAllTheNextCommandFinishesOrUndoesIt() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        let inTree = try root.snapshot(try root.populateInTree(kernel))
        try root.configure("install_location=manifest\n")
        #expect(try root.kmodmgr("key", ["generate"]).status == 0)
        try root.kmodmgr("add", [testPackage("shadow-1.0")])
        #expect(try root.kmodmgr("install", ["shadow/1.0", "-k", kernel]).status == 0)
        let arguments = ["sign", "--all"]
        let kills = try killAtEveryPoint(
            of: arguments, in: root, kernel: kernel, inTree: inTree,
            prepare: {
                let made = try root.kmodmgr("key", ["generate", "--force"])
                #expect(made.status == 0)
            },
            next: { $0 % 2 == 0 ? ["status"] : arguments })
        #expect(kills.points > 20, "sign --all passed fewer crash points than it has steps")
        let status = try root.kmodmgr("status", ["--json"]).standardOutput
        #expect(status.contains("\"current_key\" : true") && !status.contains("\"current_key\" : false"), "\(status)")
    }

    /// What recovery removes is only what it can prove is a kmodmgr's temp left behind: the shapes kmodmgr makes,
    /// where it makes them, of the type it makes, owned by its user, from a process that is gone or is not a
    /// kmodmgr. A live kmodmgr's temp file, and everything that merely looks like one, stays.
    @Test func recoveryRemovesOnlyTempFilesProvablyLeftByAKmodmgr() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        try root.populateInTree(kernel)
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        #expect(try root.kmodmgr("install", ["hello/1.0", "-k", kernel]).status == 0)
        let dead = try exitedProcessID()
        // A live process that is not a kmodmgr, and a live kmodmgr (waiting for the lock of another root).
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["60"]
        try sleeper.run()
        defer {
            kill(sleeper.processIdentifier, SIGKILL)
            sleeper.waitUntilExit()
        }
        let other = try TemporaryDirectory()
        let lockFile = other.path("var/lib/kmodmgr/.lock")
        try FileManager.default.createDirectory(at: lockFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        let descriptor = open(lockFile.path, O_RDWR | O_CREAT, 0o644)
        #expect(descriptor >= 0 && flock(descriptor, LOCK_EX) == 0)
        let waiting = Process()
        waiting.executableURL = URL(fileURLWithPath: try kmodmgrBinary())
        waiting.arguments = ["uninstall", "--root", other.url.path, "hello/1.0", "-k", kernel]
        waiting.standardError = FileHandle.nullDevice
        try waiting.run()
        defer {
            close(descriptor)
            waiting.waitUntilExit()
        }
        Thread.sleep(forTimeInterval: 0.3)
        let live = waiting.processIdentifier

        let state = "var/lib/kmodmgr"
        let kernelState = root.kernelState("hello/1.0", kernel)
        let modules = "lib/modules/\(kernel)"
        // Files whose maker is dead, is not a kmodmgr (sleep) or is this process (not a kmodmgr either).
        let removedFiles = [
            "\(state)/.journal/20260101T000000Z-\(dead)-1.tmp-\(dead)", "\(state)/.reindex/\(kernel).tmp-\(dead)",
            "\(kernelState)/installed.tmp-\(dead)", "\(kernelState)/record.tmp-\(sleeper.processIdentifier)",
            "\(state)/.kernels/\(kernel).tmp-\(dead)",
            "\(modules)/updates/kmodmgr/kmm_hello.ko.tmp-\(dead)", "\(modules)/modules.dep.kmodmgr-\(dead)-0.tmp",
            "\(modules)/modules.alias.bin.kmodmgr-\(dead)-previous", "\(modules)/updates/kmodmgr/other.ko.xz.tmp-\(getpid())",
        ]
        // Directories (with something inside): a partial result, a build's scratch copy, unjournaled staging, a
        // source copy whose target is there.
        let removedDirectories = [
            "\(kernelState)/20260101T000000Z-\(dead).partial", "\(state)/.build/\(kernel)",
            "\(state)/.stage/20260101T000000Z-\(dead)-1", "usr/src/hello-1.0.kmodmgr-tmp-\(dead)",
            "usr/src/unregistered-1.0.kmodmgr-tmp-\(dead)",
        ]
        let keptFiles = [
            // A live kmodmgr's.
            "\(state)/.kernels/\(kernel).tmp-\(live)", "\(modules)/updates/kmodmgr/kmm_hello.ko.tmp-\(live)",
            // Not one of kmodmgr's shapes.
            "\(modules)/updates/kmodmgr/kmm_hello.ko.tmp-0\(dead)", "\(modules)/updates/kmodmgr/kmm_hello.ko.tmp-\(dead)x",
            "\(modules)/updates/kmodmgr/kmm_hello.ko.tmp-", "\(modules)/modules.dep.kmodmgr-\(dead)-x.tmp",
            "\(state)/hello/1.0/notes.tmp", "\(kernelState)/1.0.partial/module/kmm_hello.ko",
            // Not where kmodmgr makes such a file: a non-module among modules, the in-tree tree no record or journal
            // names, the index's temp shape among modules.
            "\(modules)/updates/kmodmgr/README.tmp-\(dead)", "\(modules)/kernel/fs/fat/fat.ko.tmp-\(dead)",
            "\(modules)/updates/kmodmgr/modules.dep.kmodmgr-\(dead)-0.tmp",
            // Of another user.
            "\(modules)/updates/kmodmgr/nobody.ko.tmp-\(dead)",
        ]
        for file in removedFiles + keptFiles + removedDirectories.map({ $0 + "/inside/file" }) {
            let url = root.directory.path(file)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: url.path, contents: Data("x".utf8)))
        }
        #expect(chown(root.directory.path(keptFiles.last!).path, 65534, 65534) == 0)
        // Right shape, wrong kind: a directory or a link where kmodmgr makes a file. And a source copy whose target
        // is missing but registered (`add --force` killed between removing it and renaming the copy): the only copy.
        try root.writeRecord("var/lib/kmodmgr/gone/1.0/package", "name=gone\nversion=1.0\nsource=/usr/src/gone-1.0\nadded=1\n")
        let keptOthers = [
            "\(modules)/updates/kmodmgr/dir.ko.tmp-\(dead)", "\(modules)/updates/kmodmgr/link.ko.tmp-\(dead)",
            "usr/src/gone-1.0.kmodmgr-tmp-\(dead)",
        ]
        try FileManager.default.createDirectory(at: root.directory.path(keptOthers[0]), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root.directory.path(keptOthers[1]).path, withDestinationPath: "kmm_hello.ko")
        try FileManager.default.createDirectory(at: root.directory.path(keptOthers[2]), withIntermediateDirectories: true)

        // (status fails for the package whose source is missing, and only for it.)
        let status = try root.kmodmgr("status", [])
        #expect(status.status == 1 && status.standardOutput.contains("gone/1.0: added (BROKEN: source /usr/src/gone-1.0 is missing)"))
        #expect(status.standardOutput.split(separator: "\n").filter { $0.contains("BROKEN") }.count == 1, "\(status.standardOutput)")
        for path in removedFiles + removedDirectories { #expect(!linkExists(root.directory.path(path).path), "\(path) was left") }
        for path in keptFiles + keptOthers { #expect(linkExists(root.directory.path(path).path), "\(path) was removed") }
        let note = "removed what an interrupted kmodmgr left (\(removedFiles.count + removedDirectories.count)): "
        #expect(status.standardError.contains(note), "\(status.standardError)")
        #expect(try root.kmodmgr("status", []).standardError == "", "a second look finds nothing more")
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

    /// Runs `arguments` with `KMODMGR_TEST_KILL_AT` = 1, 2, … (each time after `prepare`) until a run completes. After
    /// each kill, `next(point)` must succeed (or fail as `tolerated` allows), and then everything must agree and
    /// nothing of kmodmgr's be left under the root (`agreement`). Counts the kill points, the labels of the points
    /// struck, and how many kills left temp files, a build's scratch copy or a partial result for the next command.
    func killAtEveryPoint(
        of arguments: [String], in root: LifecycleRoot, kernel: String, inTree: [String: [UInt8]], prepare: () throws -> Void,
        next: (Int) -> [String], tolerated: (ProcessResult) -> Bool = { _ in false }
    ) throws -> Kills {
        var kills = Kills()
        var point = 1
        while true {
            try prepare()
            let killed = try root.kmodmgr(
                arguments[0], Array(arguments.dropFirst()), environment: ["KMODMGR_TEST_KILL_AT": "\(point)"])
            if !killed.signaled {
                #expect(killed.status == 0, "\(arguments[0]) not killed at step \(point): \(killed.standardError)")
                break
            }
            #expect(killed.status == SIGKILL)
            let label =
                killed.standardError.split(separator: "\n").last { $0.hasPrefix("kmodmgr: fault point \(point): ") }
                .map { String($0.dropFirst("kmodmgr: fault point \(point): ".count)) } ?? "?"
            kills.labels.insert(label)
            let temps = try root.leftovers()
            if !temps.isEmpty { kills.tempsLeft += 1 }
            if temps.contains(where: { $0.hasSuffix(".partial") }) { kills.partialLeft += 1 }
            if root.exists("var/lib/kmodmgr/.build"),
                try !FileManager.default.contentsOfDirectory(atPath: root.directory.path("var/lib/kmodmgr/.build").path).isEmpty
            {
                kills.scratchLeft += 1
            }
            let command = next(point)
            let settled = try root.kmodmgr(command[0], Array(command.dropFirst()))
            let context = "after a kill at step \(point) of \(arguments[0]) (\(label)), then \(command[0])"
            #expect(settled.status == 0 || tolerated(settled), "\(context): \(settled.standardError)")
            if !temps.isEmpty {
                #expect(settled.standardError.contains("removed what an interrupted kmodmgr left"), "\(context): \(temps)")
            }
            let problems = try root.agreement(kernel, inTree: inTree)
            #expect(problems == [], "\(context)")
            point += 1
            if point > 300 {
                Issue.record("\(arguments[0]) never completed")
                break
            }
        }
        kills.points = point - 1
        print(
            "kill points: \(arguments[0]): \(kills.points) (\(kills.tempsLeft) left temp files, \(kills.scratchLeft) a scratch copy, "
                + "\(kills.partialLeft) a partial result)")
        return kills
    }
}

/// What `killAtEveryPoint` saw.
struct Kills {
    var points = 0
    var labels = Set<String>()
    var tempsLeft = 0
    var scratchLeft = 0
    var partialLeft = 0
}

/// The pid of a process that has exited and been reaped.
private func exitedProcessID() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}

private func linkExists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

extension LifecycleRoot {
    /// Writes a file under the root, making its directory.
    func writeRecord(_ relative: String, _ text: String) throws {
        let url = directory.path(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: false, encoding: .utf8)
    }

    /// A copy of the state tree and of a kernel's module directory, to start runs from (`restore`).
    func save(_ kernel: String) throws -> TemporaryDirectory {
        let saved = try TemporaryDirectory()
        try run("cp", ["-a", directory.path("var/lib/kmodmgr").path, saved.path("state").path])
        try run("cp", ["-a", directory.path("lib/modules/\(kernel)").path, saved.path("modules").path])
        return saved
    }

    /// Puts the state tree and the kernel's module directory back as `save` copied them.
    func restore(_ saved: TemporaryDirectory, _ kernel: String) throws {
        for (copy, place) in [("state", "var/lib/kmodmgr"), ("modules", "lib/modules/\(kernel)")] {
            try FileManager.default.removeItem(at: directory.path(place))
            let copied = try run("cp", ["-a", saved.path(copy).path, directory.path(place).path])
            guard copied.status == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
    }
}

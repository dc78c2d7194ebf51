import Foundation
import TestSupport
import Testing

/// A build runs as the unprivileged build user, but its modules are copied back by root: what the build leaves
/// must be a regular file of its own directory, read without following links. Each attack gets one line naming
/// the module, nothing of the target is read or installed, and nothing hangs: every command that could hang runs
/// with a bound of its own (`commandBound`) and is killed past it.
@Suite struct HostileBuildTests {
    /// Far more than any of these commands needs (a few seconds), far less than a hang.
    static let commandBound = Duration.seconds(120)

    struct Attack: Sendable, CustomTestStringConvertible {
        let name: String
        let location: String
        var module = "kmm_sneaky"
        let make: String
        let said: String
        var testDescription: String { name }
    }

    static let attacks: [Attack] = [
        Attack(name: "module linked to /etc/shadow", location: "", make: "ln -s /etc/shadow kmm_sneaky.ko", said: "it is a symbolic link"),
        Attack(name: "module that is a FIFO", location: "", make: "mkfifo kmm_sneaky.ko", said: "it is a FIFO"),
        // A directory of the build swapped for a link to a real module tree: its vfat.ko is not the build's.
        Attack(
            name: "directory linked outside the build", location: "out", module: "vfat",
            make: "ln -s /usr/lib/modules/KVER/kernel/fs/fat out", said: "out/vfat.ko is refused: it is a symbolic link"),
    ]

    @Test(arguments: attacks)
    func whatTheBuildLeftIsNeverFollowed(_ attack: Attack) throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        let source = root.directory.path("sneaky-1.0")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        var manifest = "PACKAGE_NAME=sneaky\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=\(attack.module)\n"
        let make = attack.make.replacingOccurrences(of: "KVER", with: kernel)
        manifest += "DEST_MODULE_LOCATION[0]=/updates\nMAKE[0]=\"\(make)\"\n"
        if !attack.location.isEmpty { manifest += "BUILT_MODULE_LOCATION[0]=\(attack.location)\n" }
        try manifest.write(to: source.appendingPathComponent("dkms.conf"), atomically: true, encoding: .utf8)
        try root.kmodmgr("add", [source.path])

        let install = try root.kmodmgr("install", ["sneaky/1.0", "-k", kernel], timeLimit: Self.commandBound)
        #expect(!install.timedOut, "install hung: \(install.standardError)")
        #expect(install.status == 10, "\(install.standardOutput)\(install.standardError)")
        let error = install.standardError.split(separator: "\n").first ?? ""
        #expect(error.contains("build failed:") && error.contains(attack.said), "\(install.standardError)")
        #expect(try root.kmodmgr("status", ["sneaky"]).standardOutput.contains("failed"))
        // Nothing of /etc/shadow anywhere in the state tree, nothing installed.
        let shadow = try Data(contentsOf: URL(fileURLWithPath: "/etc/shadow"))
        let state = root.directory.path("var/lib/kmodmgr")
        for case let file as String in FileManager.default.enumerator(atPath: state.path) ?? .init() {
            let url = state.appendingPathComponent(file)
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            #expect(try Data(contentsOf: url) != shadow, "\(file) holds /etc/shadow")
        }
        #expect(!root.exists("lib/modules/\(kernel)/updates/kmodmgr/\(attack.module).ko"))
    }

    /// A build that writes outside its directory and leaves a process behind: the write is refused (read-only
    /// view), the process is ended with the step and named in the log; a build that never ends is ended at the
    /// configured limit with everything it started, and the log says so.
    @Test func buildsStayInTheirSandboxAndEnd() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        // A sleep of a duration nothing else on the machine uses, so that pgrep finds only the build's.
        let seconds = 400_000 + Int(getpid()) % 100_000
        let marker = "sleep \(seconds)"
        try FileManager.default.createDirectory(at: root.directory.path("etc/kmodmgr"), withIntermediateDirectories: true)
        try "build_time_limit=3\n".write(to: root.directory.path("etc/kmodmgr/kmodmgr.conf"), atomically: true, encoding: .utf8)
        func package(_ name: String, make: String) throws -> String {
            let source = root.directory.path("\(name)-1.0")
            try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
            let manifest = "PACKAGE_NAME=\(name)\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=kmm_hello\nDEST_MODULE_LOCATION[0]=/updates\n"
            try (manifest + "MAKE[0]=\"\(make)\"\n").write(
                to: source.appendingPathComponent("dkms.conf"), atomically: true, encoding: .utf8)
            try root.kmodmgr("add", [source.path])
            return "\(name)/1.0"
        }
        let escaping = try package(
            "escaping", make: "sh -c 'touch /var/tmp/kmodmgr-\(seconds); (\(marker) &) ; touch kmm_hello.ko'")
        let escaped = try root.kmodmgr("build", [escaping, "-k", kernel], timeLimit: Self.commandBound)
        #expect(!escaped.timedOut, "build hung: \(escaped.standardError)")
        #expect(escaped.status == 0, "\(escaped.standardError)")
        #expect(!FileManager.default.fileExists(atPath: "/var/tmp/kmodmgr-\(seconds)"), "the build wrote outside its directory")
        let log = try String(contentsOfFile: try #require(logs(root, "escaping", kernel).last), encoding: .utf8)
        #expect(log.contains("/var/tmp/kmodmgr-\(seconds)': Read-only file system"), "\(log)")
        #expect(log.contains("## left running by the step, ended with it:") && log.contains(marker), "\(log)")
        #expect(try run("/usr/bin/pgrep", ["-f", marker]).status == 1, "the process the build left is still running")

        let endless = try package("endless", make: "sh -c '(\(marker) &); \(marker)'")
        let clock = ContinuousClock()
        let start = clock.now
        let stopped = try root.kmodmgr("build", [endless, "-k", kernel], timeLimit: Self.commandBound)
        #expect(clock.now - start < .seconds(30))
        #expect(stopped.status == 10 && stopped.standardError.contains("killed after the time limit of 3 s"), "\(stopped.standardError)")
        let endlessLog = try String(contentsOfFile: try #require(logs(root, "endless", kernel).last), encoding: .utf8)
        #expect(endlessLog.contains("/usr/bin/timeout: sending signal TERM"), "\(endlessLog)")
        #expect(try run("/usr/bin/pgrep", ["-f", marker]).status == 1, "a process of the ended build is still running")
    }

    /// kmodmgr killed with SIGKILL in the middle of a build (an apt hook interrupted): the build ends with it at once,
    /// not at the time limit, every process of it included, its log says why, and the next command removes the
    /// scratch it left.
    @Test func aKilledKmodmgrTakesItsBuildWithIt() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        let seconds = 500_000 + Int(getpid()) % 100_000
        let marker = "sleep \(seconds)"
        let source = root.directory.path("orphan-1.0")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try """
        PACKAGE_NAME=orphan
        PACKAGE_VERSION=1.0
        BUILT_MODULE_NAME[0]=kmm_hello
        DEST_MODULE_LOCATION[0]=/updates
        MAKE[0]="sh -c '(\(marker) &); \(marker)'"

        """.write(to: source.appendingPathComponent("dkms.conf"), atomically: true, encoding: .utf8)
        try root.kmodmgr("add", [source.path])

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try kmodmgrBinary())
        process.arguments = ["build", "--root", root.path, "orphan/1.0", "-k", kernel]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // A busy machine may take long to get the build going; once kmodmgr is killed, its end must follow soon.
        try waitFor("the build's processes to start", seconds: 120) {
            try run("/usr/bin/pgrep", ["-f", marker]).status == 0
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try waitFor("the build's processes to end after kmodmgr was killed", seconds: 20) {
            try run("/usr/bin/pgrep", ["-f", marker]).status == 1
        }
        let log = try String(contentsOfFile: try #require(logs(root, "orphan", kernel).last), encoding: .utf8)
        #expect(log.contains("## kmodmgr ended: every process of the step is ended with it"), "\(log)")

        #expect(try root.kmodmgr("status", []).status == 0)
        let scratch = root.directory.path("var/lib/kmodmgr/.build")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? []
        #expect(left.isEmpty, "scratch left after recovery: \(left)")
    }

    /// Polls `condition` every 50 ms for up to `seconds` (a bound that only a broken feature reaches).
    private func waitFor(_ what: String, seconds: TimeInterval, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try !condition() {
            guard Date() < deadline else { throw Timeout(waitingFor: what) }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    struct Timeout: Error { let waitingFor: String }

    private func logs(_ root: LifecycleRoot, _ name: String, _ kernel: String) throws -> [String] {
        let directory = root.directory.path("var/lib/kmodmgr/\(name)/1.0/\(kernel)/x86_64/log")
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map {
            directory.appendingPathComponent($0).path
        }
    }
}

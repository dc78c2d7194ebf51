import Foundation
import TestSupport
import Testing

/// A build runs as the unprivileged build user, but its modules are copied back by root: what the build leaves
/// must be a regular file of its own directory, read without following links. Each attack gets one line naming
/// the module, nothing of the target is read or installed, and nothing hangs (each case has a time limit).
@Suite struct HostileBuildTests {
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

    @Test(.timeLimit(.minutes(2)), arguments: attacks)
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

        let install = try root.kmodmgr("install", ["sneaky/1.0", "-k", kernel])
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
}

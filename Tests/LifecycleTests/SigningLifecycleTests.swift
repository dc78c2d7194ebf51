import Foundation
import TestSupport
import Testing

/// Signing in the install pipeline, the key's discovery and life, and re-signing after a key change — in temporary
/// roots, with the real headers (Debian's kernel has CONFIG_MODULE_SIG, hash sha256) and modinfo as the judge.
@Suite struct SigningLifecycleTests {
    /// `modinfo -F FIELD` of a file.
    private func modinfo(_ field: String, _ path: String) throws -> String {
        try run("/sbin/modinfo", ["-F", field, path]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func serial(_ root: LifecycleRoot) throws -> String {
        let show = try root.kmodmgr("key", ["show"]).standardOutput
        let line = try #require(show.split(separator: "\n").first { $0.hasPrefix("serial (sig_key): ") })
        return line.dropFirst("serial (sig_key): ".count).uppercased()
    }

    @Test func installsSignWithTheKeyAndSignAllFollowsAKeyChange() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        // No key under a root other than /: the install says so, leaves the module unsigned, makes no key.
        let unsigned = try root.kmodmgr("install", ["hello/1.0", "-k", kernel])
        #expect(unsigned.status == 0 && unsigned.standardError.contains("modules are left unsigned: no signing key"))
        #expect(!root.exists("var/lib/kmodmgr/keys"))
        let module = root.directory.path("lib/modules/\(kernel)/updates/kmodmgr/kmm_hello.ko").path
        #expect(try modinfo("sig_id", module).isEmpty)

        #expect(try root.kmodmgr("key", ["generate"]).status == 0)
        let first = try serial(root)
        // A build signs the module it stores (unstripped: the install strips and signs again).
        #expect(try root.kmodmgr("build", ["hello/1.0", "-k", kernel, "--force"]).status == 0)
        let built = try root.builtModulePath("hello/1.0", kernel, "kmm_hello")
        #expect(try modinfo("sig_key", built) == first)
        #expect(try root.kmodmgr("sign", ["--all"]).standardOutput.contains("signed again"))
        #expect(try modinfo("sig_key", module) == first)
        #expect(try modinfo("signer", module) == "kmodmgr module signing key")
        #expect(try modinfo("sig_hashalgo", module) == "sha256")

        // A key change: status flags the module, sign --all signs it again through the install transaction.
        #expect(try root.kmodmgr("key", ["generate"]).status == 1, "an existing key was replaced without --force")
        #expect(try root.kmodmgr("key", ["generate", "--force"]).status == 0)
        let second = try serial(root)
        #expect(second != first)
        let flagged = try root.kmodmgr("status", [])
        #expect(flagged.standardOutput.contains("signed by another key"), "\(flagged.standardOutput)")
        let resigned = try root.kmodmgr("sign", ["--all", "-k", kernel])
        #expect(
            resigned.status == 0 && resigned.standardOutput.contains("signed again: /lib/modules/\(kernel)/updates/kmodmgr/kmm_hello.ko"))
        #expect(try modinfo("sig_key", module) == second)
        #expect(try modinfo("sig_key", try root.builtModulePath("hello/1.0", kernel, "kmm_hello")) == second, "the built module")
        // The built module's new digest is recorded: the next build finds it up to date.
        #expect(try root.kmodmgr("build", ["hello/1.0", "-k", kernel]).standardOutput.contains("up to date"))
        let json = try root.kmodmgr("status", ["--json"])
        #expect(
            json.status == 0 && json.standardOutput.contains("\"current_key\" : true")
                && json.standardOutput.contains("\"sig_key\" : \"\(second)\""))
        #expect(try root.kmodmgr("sign", ["--all"]).standardOutput.contains("signed with the current key already"))
        // The index still lists the module where it is.
        #expect(try root.read("lib/modules/\(kernel)/modules.dep").contains("updates/kmodmgr/kmm_hello.ko:"))
    }

    /// Each location in discovery order wins over the ones after it; a configured key that is missing is an error.
    @Test func keysAreFoundInTheirOrder() throws {
        let root = try LifecycleRoot()
        #expect(try root.kmodmgr("key", ["show"]).status == 1)
        #expect(try root.kmodmgr("key", ["generate", "--common-name", "own"]).status == 0)
        let own = (key: root.directory.path("var/lib/kmodmgr/keys/mok.key"), cert: root.directory.path("var/lib/kmodmgr/keys/mok.der"))
        let locations: [(String, String, String)] = [
            ("var/lib/dkms/mok.key", "var/lib/dkms/mok.pub", "(DKMS)"),
            ("etc/pki/akmods/private/private_key.priv", "etc/pki/akmods/certs/public_key.der", "(akmods)"),
            ("var/lib/shim-signed/mok/MOK.priv", "var/lib/shim-signed/mok/MOK.der", "(Ubuntu's shim MOK"),
            ("etc/keys/module.key", "etc/keys/module.der", "(kmodmgr.conf"),
        ]
        #expect(try root.kmodmgr("key", ["show"]).standardOutput.contains("(kmodmgr's own)"))
        for (key, certificate, source) in locations {
            for (from, to) in [(own.key, key), (own.cert, certificate)] {
                let target = root.directory.path(to)
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: from, to: target)
            }
            if source == "(kmodmgr.conf" {
                try root.configure("mok_signing_key=/\(key)\nmok_certificate=/\(certificate)\n")
            }
            let shown = try root.kmodmgr("key", ["show"]).standardOutput
            #expect(shown.contains("key: /\(key) \(source)"), "\(shown)")
        }
        try root.configure("mok_signing_key=/etc/keys/missing.key\nmok_certificate=/etc/keys/module.der\n")
        let missing = try root.kmodmgr("key", ["show"])
        #expect(missing.status == 1 && missing.standardError.contains("/etc/keys/missing.key does not exist"), "\(missing.standardError)")
    }

    /// Secure Boot on and the key not enrolled (mokutil's answers, from a stand-in: this machine has no EFI): the
    /// install says so once, with the exact command.
    @Test func anUnenrolledKeyUnderSecureBootIsSaidOnce() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        let mokutil = root.directory.path("mokutil")
        try """
        #!/bin/sh
        case "$1" in
        --sb-state) echo "SecureBoot enabled" ;;
        --test-key) echo "$2 is not enrolled"; exit 1 ;;
        esac

        """.write(to: mokutil, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: mokutil.path)
        try root.configure("mokutil=\(mokutil.path)\n")
        #expect(try root.kmodmgr("key", ["generate"]).status == 0)
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        let install = try root.kmodmgr("install", ["hello/1.0", "-k", kernel])
        #expect(install.status == 0)
        let certificate = root.directory.path("var/lib/kmodmgr/keys/mok.der").path
        let hints = install.standardError.components(separatedBy: "mokutil --import \(certificate)").count - 1
        #expect(hints == 1, "\(install.standardError)")
        #expect(try root.kmodmgr("key", ["enroll-hint"]).standardOutput.hasPrefix("mokutil --import \(certificate)\n"))
    }
}

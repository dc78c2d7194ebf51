import Foundation
import TestSupport
import Testing

/// The preflight on damaged copies of the real Debian headers: for each way a build tree, compiler, release or
/// root goes wrong, `kmodmgr doctor` names it with its fix, and `install` fails before make with one line of
/// kmodmgr's own that names it, installing nothing.
@Suite struct PreflightTests {
    struct Damage: Sendable, CustomTestStringConvertible {
        let name: String
        /// The finding's code, as `doctor --json` gives it.
        let code: String
        /// Words the finding's fix must hold.
        let fix: String
        /// Words the install's error line must hold.
        let said: String
        /// Appended to the kernel's directory name under lib/modules (a release the headers do not produce).
        var suffix = ""
        var blockedParent = false
        let apply: @Sendable (DamagedHeaders) throws -> Void
        var testDescription: String { name }
    }

    static let damages: [Damage] = [
        Damage(name: "linker script", code: "missing-linker-script", fix: "--reinstall linux-headers-", said: "module.lds") {
            let arch = try $0.read(".kernelvariables").contains("ARCH = x86") ? "x86" : "arm64"
            try $0.remove("arch/\(arch)/module.lds")
        },
        Damage(name: "fixdep", code: "missing-fixdep", fix: "--reinstall linux-kbuild-", said: "scripts/basic/fixdep") {
            try $0.remove("scripts/basic/fixdep")
        },
        Damage(name: "modpost", code: "missing-modpost", fix: "--reinstall linux-kbuild-", said: "scripts/mod/modpost") {
            try $0.remove("scripts/mod/modpost")
        },
        Damage(name: "fixdep of another machine", code: "foreign-host-tool", fix: "make scripts", said: "AArch64") { headers in
            // The real fixdep with its ELF machine (u16 at offset 18) set to AArch64: the Raspberry Pi headers case.
            let file = headers.headers.appendingPathComponent("scripts/basic/fixdep").resolvingSymlinksInPath()
            var bytes = try Data(contentsOf: file)
            try FileManager.default.removeItem(at: file)
            bytes[18] = 183
            bytes[19] = 0
            try bytes.write(to: file)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        },
        Damage(name: "autoconf.h", code: "missing-autoconf-h", fix: "--reinstall linux-headers-", said: "include/generated/autoconf.h") {
            try $0.remove("include/generated/autoconf.h")
        },
        Damage(name: "auto.conf", code: "missing-auto-conf", fix: "--reinstall linux-headers-", said: "include/config/auto.conf") {
            try $0.remove("include/config/auto.conf")
        },
        Damage(name: "Module.symvers", code: "missing-module-symvers", fix: "--reinstall linux-headers-", said: "Module.symvers") {
            try $0.remove("Module.symvers")
        },
        Damage(name: "compiler not installed", code: "missing-compiler", fix: "install gcc-99", said: "gcc-99") {
            let variables = try $0.read(".kernelvariables")
            try $0.replace(
                ".kernelvariables", with: variables.replacingOccurrences(of: #"gcc-[0-9]+"#, with: "gcc-99", options: .regularExpression))
        },
        Damage(name: "dangling build link", code: "dangling-build-link", fix: "--reinstall linux-headers-", said: "dangling link") {
            try FileManager.default.removeItem(at: $0.headers)
        },
        Damage(
            name: "release mismatch without modversions", code: "release-mismatch", fix: "LOCALVERSION=-sunxi", said: "-sunxi",
            suffix: "-sunxi"
        ) {
            let config = try $0.read(".config").split(separator: "\n").filter { !$0.hasPrefix("CONFIG_MODVERSIONS=") }
            try $0.replace(".config", with: config.joined(separator: "\n") + "\n")
        },
        Damage(
            name: "build user cannot reach the root", code: "build-user-cannot-reach", fix: "chmod o+x", said: "cannot enter",
            blockedParent: true
        ) { _ in },
    ]

    @Test(arguments: damages) func doctorNamesItAndInstallStopsBeforeMake(_ damage: Damage) throws {
        let root = try DamagedHeaders(suffix: damage.suffix, blockedParent: damage.blockedParent)
        let release = root.kernel + damage.suffix
        try damage.apply(root)
        let add = try root.kmodmgr("add", [testPackage("hello-1.0")])
        #expect(add.status == 0, "add: \(add.standardError)")

        let doctor = try root.kmodmgr("doctor", ["-k", release, "--json"])
        #expect(doctor.status == 1, "doctor found nothing: \(doctor.standardOutput)")
        let kernels = try JSONSerialization.jsonObject(with: doctor.stdout) as? [[String: Any]] ?? []
        let findings = kernels.first?["findings"] as? [[String: Any]] ?? []
        let finding = findings.first { $0["code"] as? String == damage.code }
        #expect(finding != nil, "doctor did not name \(damage.code): \(doctor.standardOutput)")
        #expect((finding?["fix"] as? String ?? "").contains(damage.fix), "fix: \(finding?["fix"] ?? "none")")
        #expect(finding?["severity"] as? String == "fatal")

        let install = try root.kmodmgr("install", ["hello/1.0", "-k", release])
        #expect(install.status == 10, "install: \(install.standardOutput)\(install.standardError)")
        let lines = install.standardError.split(separator: "\n")
        #expect(lines.count == 1, "more than kmodmgr's one line: \(install.standardError)")
        #expect(lines.first?.hasPrefix("kmodmgr: error: hello/1.0, \(release)") == true)
        #expect(lines.first?.contains(damage.said) == true, "\(lines.first ?? "")")
        // make never ran: no build log, nothing installed.
        let logs = root.root.appendingPathComponent("var/lib/kmodmgr/hello/1.0/\(release)")
        #expect(!FileManager.default.fileExists(atPath: logs.path), "a build was started")
        #expect(root.installedModules().isEmpty)
    }

    /// The control: the undamaged copy, found through an absolute `build` link resolved inside the root, is
    /// healthy and builds; and a release that differs only where the kernel does not look (modversions on both
    /// sides) is a warning, not a refusal.
    @Test func theUndamagedCopyIsHealthyAndAReleaseMismatchUnderModversionsOnlyWarns() throws {
        let root = try DamagedHeaders()
        let doctor = try root.kmodmgr("doctor", ["-k", root.kernel])
        #expect(doctor.status == 0, "\(doctor.standardOutput)")
        #expect(doctor.standardOutput.hasSuffix(": ok\n"))

        let renamed = try DamagedHeaders(suffix: "-sunxi")
        let release = renamed.kernel + "-sunxi"
        let warned = try renamed.kmodmgr("doctor", ["-k", release])
        #expect(warned.status == 1)
        #expect(warned.standardOutput.contains("warning [release/release-mismatch]"), "\(warned.standardOutput)")
        #expect(warned.standardOutput.contains("skips that word"))
        try renamed.kmodmgr("add", [testPackage("hello-1.0")])
        let install = try renamed.kmodmgr("install", ["hello/1.0", "-k", release])
        #expect(install.status == 0, "\(install.standardError)")
        #expect(install.standardError.contains("release-mismatch") || install.standardError.contains("the headers produce release"))
        #expect(renamed.installedModules().count == 1)
    }

    /// A build that fails in make although the preflight passed: the compiler's complaint in the log becomes one
    /// line of diagnosis above the log's tail.
    @Test func aKnownFailureInTheLogIsDiagnosed() throws {
        let root = try LifecycleRoot()
        try root.kmodmgr("add", [testPackage("badflag-1.0")])
        let install = try root.kmodmgr("install", ["badflag/1.0", "-k", root.kernels.last!])
        #expect(install.status == 10)
        let lines = install.standardError.split(separator: "\n")
        let error = lines.firstIndex { $0.contains("build failed: make failed") }
        #expect(error != nil, "\(install.standardError)")
        #expect(
            error.map { lines[$0 + 1].contains("diagnosis: the compiler does not know a flag") } == true, "\(install.standardError)")
    }

    /// With a package named, doctor also says what stands in that package's way for the kernel: BUILD_EXCLUSIVE
    /// (a warning: it is skipped), a BUILD_DEPENDS package that is not added, a dkms.conf that does not evaluate.
    @Test func doctorJudgesANamedPackageForTheKernel() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        try root.kmodmgr("add", [testPackage("exclusive-1.0")])
        let excluded = try root.kmodmgr("doctor", ["exclusive/1.0", "-k", kernel])
        #expect(excluded.status == 1)
        #expect(excluded.standardOutput.contains("warning [package/package-excluded]"), "\(excluded.standardOutput)")

        let source = root.directory.path("usr/src/needy-1.0")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try
            "PACKAGE_NAME=needy\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=kmm_needy\nDEST_MODULE_LOCATION[0]=/updates\nBUILD_DEPENDS=\"absent\"\n"
            .write(to: source.appendingPathComponent("dkms.conf"), atomically: true, encoding: .utf8)
        try root.kmodmgr("add", ["needy/1.0"])
        let needy = try root.kmodmgr("doctor", ["needy/1.0", "-k", kernel, "--json"])
        #expect(needy.status == 1)
        #expect(needy.standardOutput.contains("\"code\" : \"missing-build-dependency\""), "\(needy.standardOutput)")

        try "PACKAGE_NAME=needy\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=\"unterminated\n"
            .write(to: source.appendingPathComponent("dkms.conf"), atomically: true, encoding: .utf8)
        let broken = try root.kmodmgr("doctor", ["needy/1.0", "-k", kernel])
        #expect(broken.standardOutput.contains("FATAL [package/manifest-invalid]"), "\(broken.standardOutput)")
        #expect(broken.standardOutput.contains("dkms.conf:3"), "the line is named: \(broken.standardOutput)")
    }
}

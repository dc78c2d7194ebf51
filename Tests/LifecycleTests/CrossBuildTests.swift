import Foundation
import TestSupport
import Testing

/// Building for another architecture, proven by that architecture's kernel: a root laid out like an installed
/// Debian arm64 system from Debian's own arm64 packages (stages/vm/arm64/fetch-kernel: image, modules, headers,
/// never installed on this machine), a registered package with an unchanged dkms.conf built and installed for
/// it by kmodmgr (cross compiler and strip found by the headers' arch, no flag needed), and the result loaded in
/// that kernel booted under qemu-system-aarch64 (stages/vm/arm64/run). kmodmgr's verdicts must agree with the
/// kernel's answers, for the arm64 module and for an x86-64 one offered to the same kernel.
@Suite struct CrossBuildTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func aPackageBuiltForArm64LoadsInDebiansArm64Kernel() throws {
        for program in ["qemu-system-aarch64", "aarch64-linux-gnu-gcc-12", "aarch64-linux-gnu-strip"] {
            guard (try? which(program)) != nil else {
                Issue.record(
                    "\(program) is missing: scripts/setup --deps installs qemu-system-arm, gcc-12-aarch64-linux-gnu, binutils-aarch64-linux-gnu"
                )
                return
            }
        }
        let work = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: work.url.path)
        let root = work.path("arm64")
        let fetch = try run(
            Self.repository.appendingPathComponent("stages/vm/arm64/fetch-kernel").path, [root.path], timeLimit: .seconds(900))
        try #require(fetch.status == 0, "fetch-kernel: \(fetch.standardError)")
        let release = try #require(fetch.standardOutput.split(separator: "\n").last.map(String.init))
        func kmodmgr(_ command: String, _ arguments: [String]) throws -> ProcessResult {
            try TestSupport.kmodmgr([command, "--root", root.path] + arguments)
        }

        let doctor = try kmodmgr("doctor", ["-k", release])
        #expect(doctor.status == 0, "\(doctor.standardOutput)")
        #expect(doctor.standardOutput.contains("(aarch64)") && doctor.standardOutput.contains("compiler aarch64-linux-gnu-gcc"))
        let wrongArch = try kmodmgr("doctor", ["-k", release, "-a", "x86_64"])
        #expect(wrongArch.status == 1 && wrongArch.standardOutput.contains("[headers/arch-mismatch]"), "\(wrongArch.standardOutput)")

        try kmodmgr("add", [testPackage("hello-1.0")])
        let install = try kmodmgr("install", ["hello/1.0", "-k", release])
        #expect(install.status == 0, "\(install.standardError)")
        #expect(install.standardOutput.contains("hello/1.0, \(release), aarch64: installed"), "\(install.standardOutput)")
        let status = try kmodmgr("status", [])
        #expect(status.standardOutput == "hello/1.0, \(release), aarch64: installed\n", "\(status.standardOutput)")
        // DKMS's spelling of the same: already built, so nothing to do.
        let rebuilt = try kmodmgr("build", ["hello/1.0", "-k", "\(release)/aarch64"])
        #expect(rebuilt.standardOutput.contains("aarch64: built (up to date)"), "\(rebuilt.standardOutput)")

        let arm64Module = root.appendingPathComponent("lib/modules/\(release)/updates/kmodmgr/kmm_hello.ko").path
        let vermagic = try TestSupport.kmodmgr(["modinfo", "-F", "vermagic", arm64Module]).standardOutput
        #expect(vermagic == "\(release) SMP mod_unload modversions aarch64\n")

        // The same package for this machine's kernel, to offer the arm64 kernel an x86-64 module.
        let host = try LifecycleRoot()
        try host.kmodmgr("add", [testPackage("hello-1.0")])
        try host.kmodmgr("build", ["hello/1.0", "-k", host.kernels.last!])
        let x86Module = try host.builtModulePath("hello/1.0", host.kernels.last!, "kmm_hello")

        var verdicts = [String]()
        for module in [arm64Module, x86Module] {
            let verify = try kmodmgr("verify", ["--file", module, "-k", release])
            verdicts.append(verify.status == 0 ? "loaded" : verify.status == 1 ? "refused" : "error \(verify.standardError)")
        }
        #expect(verdicts == ["loaded", "refused"])
        let boot = try run(
            Self.repository.appendingPathComponent("stages/vm/arm64/run").path,
            ["--kernel-root", root.path, "--kver", release, arm64Module, x86Module])
        #expect(boot.status == 0, "stages/vm/arm64/run: \(boot.standardError.suffix(2000))")
        let answers = boot.standardOutput.split(separator: "\n").filter { $0.hasPrefix("RESULT ") }
            .map { $0.split(separator: " ")[3].hasPrefix("loaded") ? "loaded" : "refused" }
        #expect(answers == verdicts, "the kernel said:\n\(boot.standardOutput)")
        #expect(answers == ["loaded", "refused"])
    }
}

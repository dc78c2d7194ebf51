import Foundation
import TestSupport
import Testing

/// Secure Boot's proof: a kernel that enforces module signatures (Debian's linux-source-6.1 built with
/// MODULE_SIG_FORCE and test keys by stages/vm/signing/build-kernel, cached by content hash; about 5 minutes the
/// first time on 2 cores) booted under qemu. First the fixture alone (`selftest`: sign-file and busybox insmod
/// against the kernel), then kmodmgr (`run`): an install signed with the configured key, files unsigned, signed
/// with a key the kernel lacks, tampered after signing, and the install re-signed by `sign --all` after a key
/// change — kmodmgr's verdicts in the guest against the kernel's answers, and `kmodmgr load` through libkmod.
@Suite(.serialized) struct SignatureEnforcingKernelTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    private func stage(_ script: String, _ arguments: [String] = []) throws -> (status: Int32, tail: String) {
        // The bound holds a cold kernel build (about 5 minutes here) many times over.
        let result = try run(
            Self.repository.appendingPathComponent("stages/vm/signing/\(script)").path, arguments, timeLimit: .seconds(1800))
        let output = (result.timedOut ? "killed after 30 minutes\n" : "") + result.standardOutput + result.standardError
        return (result.status, output.split(separator: "\n", omittingEmptySubsequences: false).suffix(40).joined(separator: "\n"))
    }

    @Test func theFixtureKernelRefusesWhatItMust() throws {
        guard (try? which("qemu-system-x86_64")) != nil else {
            Issue.record("qemu-system-x86_64 is missing: install qemu-system-x86 (scripts/setup --deps)")
            return
        }
        let selftest = try stage("selftest")
        #expect(selftest.status == 0, "stages/vm/signing/selftest exited \(selftest.status):\n\(selftest.tail)")
    }

    @Test func modulesKmodmgrSignsLoadAndItsVerdictsAgreeWithTheKernel() throws {
        guard (try? which("qemu-system-x86_64")) != nil else {
            Issue.record("qemu-system-x86_64 is missing: install qemu-system-x86 (scripts/setup --deps)")
            return
        }
        let result = try stage("run", ["--kmodmgr", try kmodmgrBinary()])
        #expect(result.status == 0, "stages/vm/signing/run exited \(result.status):\n\(result.tail)")
        #expect(result.tail.contains("signing run: 10 passed, 0 failed"), "\(result.tail)")
    }
}

import Foundation
import TestSupport
import Testing

/// THE VM STAGE (stages/vm/run): boots a real Debian kernel under qemu with an initramfs holding this build's
/// kmodmgr and a module tree kmodmgr prepared with --root, and checks inside the guest that `kmodmgr verify`
/// predicts, and `kmodmgr load`/`unload` do, what the kernel really does (docs/ARCHITECTURE.md, Tests). It is the
/// proof that loading works, so it is never skipped: without qemu it fails and says what to install. A few minutes
/// (TCG).
@Suite struct VirtualMachineTests {
    @Test func kmodmgrAgreesWithARealKernelOnEveryScenario() throws {
        guard (try? which("qemu-system-x86_64")) != nil else {
            Issue.record("qemu-system-x86_64 is missing: install qemu-system-x86 (scripts/setup --deps)")
            return
        }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let script = repository.appendingPathComponent("stages/vm/run").path
        let result = try run(script, ["--kmodmgr", try kmodmgrBinary()], timeLimit: .seconds(1200))
        #expect(!result.timedOut, "stages/vm/run took more than 20 minutes")
        let output = result.standardOutput + result.standardError
        let tail = output.split(separator: "\n", omittingEmptySubsequences: false).suffix(60).joined(separator: "\n")
        #expect(result.status == 0, "stages/vm/run exited \(result.status):\n\(tail)")
    }
}

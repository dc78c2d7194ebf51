import Foundation
import TestSupport
import Testing

/// THE SYSTEM STAGE (tests/system/run): kmodmgr as Debian ships it, on this machine. Builds the .deb, installs it
/// with dpkg -i, registers real packages, installs a kernel of another ABI with apt and checks that the hooks alone
/// built, installed, indexed and put the boot-critical module in the initramfs; purges the kernel (displaced module
/// restored, nothing left) and then kmodmgr (nothing left but the registered sources). It is the proof that the
/// hooks and the package work, so it is never skipped: it needs root and the Debian archive, as CI has. It purges
/// everything it installed. Several minutes (a release build, a kernel, three initramfs generations).
@Suite struct SystemPackageTests {
    @Test(.timeLimit(.minutes(30))) func kernelUpgradeHooksAndPackagingWorkOnARealDebianSystem() throws {
        let script = RepositoryTests.packageRoot.appendingPathComponent("tests/system/run").path
        let result = try run(script, [])
        let output = result.standardOutput + result.standardError
        let tail = output.split(separator: "\n", omittingEmptySubsequences: false).suffix(60).joined(separator: "\n")
        #expect(result.status == 0, "tests/system/run exited \(result.status):\n\(tail)")
    }
}

import ArgumentParser
import Lifecycle

/// kmodmgr's exit statuses: the one place their numbers are written. DKMS's meanings are kept where scripts and
/// package hooks rely on them (10 a build failed, 11 autoinstall failed, 77 skipped).
enum ExitStatus: Int32 {
    case success = 0
    /// Something was refused, broken, not found or not loadable; the reason is on standard error.
    case failure = 1
    /// `build`, `install`: a build failed.
    case buildFailed = 10
    /// `autoinstall`: a package failed to build or install.
    case autoinstallFailed = 11
    /// The command line is malformed (ArgumentParser's validation status).
    case usage = 64
    /// `build`, `install`: every kernel was skipped; `initramfs`: nothing to regenerate.
    case skipped = 77

    var code: ExitCode { ExitCode(rawValue) }

    /// Thrown to end the command with this status (success returns normally instead).
    var error: ExitCode { code }

    /// What a build's results come to: a failure wins, then all-skipped.
    static func of(builds results: [Building.KernelResult]) -> ExitStatus {
        if results.contains(where: { if case .failed = $0.outcome { true } else { false } }) { return .buildFailed }
        if !results.isEmpty && results.allSatisfy({ if case .skipped = $0.outcome { true } else { false } }) { return .skipped }
        return .success
    }

    /// What install's results come to: a failed build, then a refused or failed install, then all-skipped.
    static func of(installs results: [Installing.KernelResult]) -> ExitStatus {
        if results.contains(where: { if case .buildFailed = $0.outcome { true } else { false } }) { return .buildFailed }
        if results.contains(where: { if case .failed = $0.outcome { true } else { false } }) { return .failure }
        if !results.isEmpty && results.allSatisfy({ if case .skipped = $0.outcome { true } else { false } }) { return .skipped }
        return .success
    }

    /// What autoinstall's results come to: any package that failed, however, is DKMS's 11; otherwise success
    /// (skipped packages are not a failure of the kernel hook that runs it).
    static func of(autoinstalls results: [Installing.KernelResult]) -> ExitStatus {
        switch of(installs: results) {
        case .buildFailed, .failure: .autoinstallFailed
        default: .success
        }
    }

    /// Ends the command: nothing for success, the status otherwise.
    func exit() throws {
        if self != .success { throw error }
    }
}

/// A failed build as build, install and autoinstall print it: the error line (the failure, and its log), the
/// diagnosis a known signature in the log gave, and the log's last lines.
enum BuildFailureText {
    static func write(_ failure: BuildFailure, prefix: String) {
        Output.error("\(prefix): build failed: \(failure.reason)" + (failure.log.map { "; log: \($0)" } ?? ""))
        if let diagnosis = failure.diagnosis { Output.diagnostic("  diagnosis: \(diagnosis)") }
        for line in failure.tail { Output.diagnostic("    \(line)") }
    }
}

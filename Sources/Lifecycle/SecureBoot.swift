import Signing
import SystemPackage
import SystemSupport

/// What the firmware says about Secure Boot and the machine-owner keys, through `mokutil` (shim's tool). kmodmgr
/// never enrols a key itself: enrolment needs the admin at the console on the next boot (MokManager), which is
/// the point of it. It says what to run instead.
public enum SecureBoot {
    public enum State: Sendable, Equatable {
        case enabled, disabled
        /// No EFI, no mokutil, or an answer kmodmgr does not know.
        case unknown(String)
    }

    /// The mokutil to ask under `root`: kmodmgr.conf's, else `/usr/bin/mokutil` on the live system; nil under
    /// another root, which is prepared for other machines and has no firmware of its own.
    public static func mokutil(settings: Settings, root: Root) -> FilePath? {
        settings.mokutil ?? (root.isSystemRoot ? "/usr/bin/mokutil" : nil)
    }

    public static func state(mokutil: FilePath) async -> State {
        guard FileTree.exists(mokutil) else { return .unknown("\(mokutil) is missing (apt install mokutil)") }
        let output = await run(mokutil, ["--sb-state"])
        if output.contains("SecureBoot enabled") { return .enabled }
        if output.contains("SecureBoot disabled") { return .disabled }
        return .unknown(output.split(separator: "\n").first.map(String.init) ?? "mokutil said nothing")
    }

    /// Whether the certificate file (a path on this machine) is in the MOK list; nil when mokutil cannot tell.
    public static func isEnrolled(certificate: FilePath, mokutil: FilePath) async -> Bool? {
        let output = await run(mokutil, ["--test-key", certificate.string])
        if output.contains("is already enrolled") { return true }
        if output.contains("is not enrolled") { return false }
        return nil
    }

    /// The command that asks shim to enrol `certificate` at the next boot.
    public static func importCommand(certificate: String) -> String { "mokutil --import \(shellQuoted(certificate))" }

    /// The one warning an install gives when Secure Boot is on and the signing key is not enrolled (where there is
    /// a `mokutil` to ask).
    static func enrolmentHint(for location: SigningKeyLocation, settings: Settings, root: Root) async -> String? {
        guard let mokutil = mokutil(settings: settings, root: root), await state(mokutil: mokutil) == .enabled else { return nil }
        let certificate = root.resolve(location.certificate)
        guard await isEnrolled(certificate: certificate, mokutil: mokutil) == false else { return nil }
        return "Secure Boot is on and the signing key \(location.certificate) is not enrolled: the kernel will refuse modules "
            + "signed with it. Enrol it with '\(importCommand(certificate: certificate.string))' (it asks for a one-time password), "
            + "then reboot and confirm in MokManager"
    }

    private static func run(_ mokutil: FilePath, _ arguments: [String]) async -> String {
        let request = ProcessRequest(
            executable: mokutil, arguments: arguments, environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"], workingDirectory: "/",
            timeLimit: .seconds(10))
        guard let result = try? await ProcessRunner.capture(request, limit: 1 << 16) else { return "" }
        return String(decoding: result.standardOutput + result.standardError, as: UTF8.self)
    }
}

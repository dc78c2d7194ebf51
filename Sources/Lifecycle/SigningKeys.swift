import Signing
import Synchronization
import SystemPackage
import SystemSupport

/// The signing key of one command, found (or made) once and shared by all its installs, with what to tell the
/// admin about it said once.
final class SigningKeys: Sendable {
    enum Resolution: Sendable {
        case key(SigningKey, SigningKeyLocation)
        /// No key (root other than `/`), or signing is off: modules stay unsigned.
        case none
    }

    private let resolved = Mutex<Resolution?>(nil)

    /// The key to sign with: discovered, else generated when the root is `/`; warnings and the Secure Boot
    /// enrolment hint go to the diagnostics the first time.
    func resolve(_ context: LifecycleContext) async throws(LifecycleError) -> Resolution {
        if let known = resolved.withLock({ $0 }) { return known }
        let resolution = try await find(context)
        return resolved.withLock { current in
            if let current { return current }
            current = resolution
            return resolution
        }
    }

    private func find(_ context: LifecycleContext) async throws(LifecycleError) -> Resolution {
        let root = context.root
        var location = try SigningKeyDiscovery.locate(root: root, settings: context.settings)
        if location == nil {
            guard root.isSystemRoot else {
                context.diagnostics.note(
                    "modules are left unsigned: no signing key under \(root.path) (kmodmgr key generate --root \(root.path) makes one)"
                )
                return .none
            }
            let made = try KeyManagement.generate(root: root, commonName: KeyManagement.defaultCommonName)
            context.diagnostics.note(
                "made a module-signing key: \(SigningKeyDiscovery.ownCertificate) (for Secure Boot: kmodmgr key enroll-hint)")
            location = made
        }
        guard let location else { return .none }
        let key = try KeyManagement.load(location, root: root)
        if let hint = await SecureBoot.enrolmentHint(for: location, settings: context.settings, root: root) {
            context.diagnostics.warning(hint)
        }
        return .key(key, location)
    }
}

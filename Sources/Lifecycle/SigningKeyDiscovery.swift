import SystemPackage
import SystemSupport

/// Where a module-signing key and its certificate are, inside a root.
public struct SigningKeyLocation: Sendable, Hashable {
    /// Who made the key: the order of discovery.
    public enum Source: String, Sendable, CaseIterable {
        case configured = "kmodmgr.conf (mok_signing_key, mok_certificate)"
        case shim = "Ubuntu's shim MOK (update-secureboot-policy)"
        case akmods = "akmods"
        case dkms = "DKMS"
        case kmodmgr = "kmodmgr's own"
    }

    public let source: Source
    /// Paths as the system sees them (inside the root).
    public let key: FilePath
    public let certificate: FilePath
}

/// Finds the key modules are signed with. The first pair whose two files exist wins:
/// 1. the one `kmodmgr.conf` names (`mok_signing_key`, `mok_certificate`) — missing files are an error then;
/// 2. Ubuntu's shim MOK, `/var/lib/shim-signed/mok/MOK.{priv,der}` (enrolled already where Ubuntu set it up);
/// 3. akmods' (Fedora/RPM Fusion), `/etc/pki/akmods/private/private_key.priv` and `certs/public_key.der`;
/// 4. DKMS's, `/var/lib/dkms/mok.{key,pub}` (users coming from DKMS have enrolled it);
/// 5. kmodmgr's own, `/var/lib/kmodmgr/keys/mok.{key,der}`, which `kmodmgr key generate` makes — and the first
///    install that needs a key makes when the root is `/` (never under another root: a key baked into every image
///    made from a root would be a secret shared by all of them).
public enum SigningKeyDiscovery {
    public static let ownKey: FilePath = "/var/lib/kmodmgr/keys/mok.key"
    public static let ownCertificate: FilePath = "/var/lib/kmodmgr/keys/mok.der"

    static let wellKnown: [(SigningKeyLocation.Source, FilePath, FilePath)] = [
        (.shim, "/var/lib/shim-signed/mok/MOK.priv", "/var/lib/shim-signed/mok/MOK.der"),
        (.akmods, "/etc/pki/akmods/private/private_key.priv", "/etc/pki/akmods/certs/public_key.der"),
        (.dkms, "/var/lib/dkms/mok.key", "/var/lib/dkms/mok.pub"),
        (.kmodmgr, ownKey, ownCertificate),
    ]

    /// The key to sign with under `root`, or nil when there is none yet.
    public static func locate(root: Root, settings: Settings) throws(LifecycleError) -> SigningKeyLocation? {
        if let key = settings.signingKey, let certificate = settings.signingCertificate {
            for file in [key, certificate] where !FileTree.exists(root.resolve(file)) {
                throw .configuration(
                    file: root.systemPath(of: root.resolve(Settings.file)), line: 0,
                    reason: "the signing key file \(file) does not exist (mok_signing_key, mok_certificate)")
            }
            return SigningKeyLocation(source: .configured, key: key, certificate: certificate)
        }
        for (source, key, certificate) in wellKnown
        where FileTree.exists(root.resolve(key)) && FileTree.exists(root.resolve(certificate)) {
            return SigningKeyLocation(source: source, key: key, certificate: certificate)
        }
        return nil
    }
}

import Signing
import SystemPackage
import SystemSupport

/// Loading and making keys under a root, with errors as lifecycle errors.
public enum KeyManagement {
    public static let defaultCommonName = "kmodmgr module signing key"

    public static func load(_ location: SigningKeyLocation, root: Root) throws(LifecycleError) -> SigningKey {
        do {
            return try SigningKey.load(key: root.resolve(location.key), certificate: root.resolve(location.certificate))
        } catch {
            throw .signing(error.description)
        }
    }

    /// The key signing uses under the context's root, or `noSigningKey`.
    public static func required(context: LifecycleContext) throws(LifecycleError) -> SigningKeyLocation {
        guard let location = try SigningKeyDiscovery.locate(root: context.root, settings: context.settings) else {
            throw .noSigningKey(root: context.root.path.string)
        }
        return location
    }

    /// `kmodmgr key generate`: makes kmodmgr's own key, holding the state lock (installs read it); an existing one
    /// is replaced only when `replacing`.
    public static func generate(commonName: String, replacing: Bool, context: LifecycleContext) throws(LifecycleError) -> SigningKey {
        let lock = try context.exclusive()
        defer { withExtendedLifetime(lock) {} }
        if !replacing && FileTree.exists(context.root.resolve(SigningKeyDiscovery.ownKey)) {
            throw .signingKeyExists(path: SigningKeyDiscovery.ownKey.string)
        }
        return try load(try generate(root: context.root, commonName: commonName), root: context.root)
    }

    /// Makes kmodmgr's own key under `root` (replacing an older one of its own).
    @discardableResult
    public static func generate(root: Root, commonName: String) throws(LifecycleError) -> SigningKeyLocation {
        do {
            _ = try KeyGeneration.generate(
                commonName: commonName, key: root.resolve(SigningKeyDiscovery.ownKey),
                certificate: root.resolve(SigningKeyDiscovery.ownCertificate))
        } catch {
            throw .signing(error.description)
        }
        return SigningKeyLocation(source: .kmodmgr, key: SigningKeyDiscovery.ownKey, certificate: SigningKeyDiscovery.ownCertificate)
    }
}

import SystemPackage

/// Why a module could not be signed, or a key used, with the file it is about. Rendered by the CLI.
public struct SigningError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case unreadable(String)
        case notAPrivateKey(String)
        case notACertificate(String)
        /// The private key is not the certificate's (`X509_check_private_key`).
        case keyDoesNotMatch(certificate: String)
        /// A hash libcrypto does not know, or one the kernel cannot check (`CONFIG_MODULE_SIG_HASH`).
        case unknownHash(String)
        /// The image ends with the signature magic but its lengths do not fit: the kernel refuses it (`EBADMSG`).
        case damagedSignature
        case notAModule(String)
        case crypto(CryptoFailure)
        /// Writing a key or certificate, or the signed module.
        case write(String)
    }

    /// The file the error is about (a module, a key, a certificate).
    public let file: FilePath
    public let kind: Kind

    public init(file: FilePath, _ kind: Kind) {
        self.file = file
        self.kind = kind
    }

    public var description: String {
        let what: String =
            switch kind {
            case .unreadable(let reason): "cannot be read: \(reason)"
            case .notAPrivateKey(let detail): "is not a private key (PEM or DER, unencrypted)" + (detail.isEmpty ? "" : ": \(detail)")
            case .notACertificate(let detail): "is not an X.509 certificate (DER or PEM)" + (detail.isEmpty ? "" : ": \(detail)")
            case .keyDoesNotMatch(let certificate): "is not the private key of the certificate \(certificate)"
            case .unknownHash(let hash): "cannot be signed with hash '\(hash)': libcrypto does not know it"
            case .damagedSignature: "ends with a signature whose lengths do not fit the file (the kernel refuses it: Bad message)"
            case .notAModule(let reason): "is not a kernel module: \(reason)"
            case .crypto(let failure): failure.description
            case .write(let reason): "cannot be written: \(reason)"
            }
        return "\(file): \(what)"
    }
}

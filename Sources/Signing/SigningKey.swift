import CCrypto
import SystemPackage
import SystemSupport

/// A private key and its certificate, read from files and checked to belong together, as one signing identity.
/// The key may be PEM (any of libcrypto's private-key forms, unencrypted) or DER; the certificate DER or PEM; both
/// may be one PEM file (the kernel's `certs/signing_key.pem`).
public struct SigningKey: Sendable {
    public let keyFile: FilePath
    public let certificateFile: FilePath
    public let certificate: Certificate
    let key: KeyHandle

    /// Key and certificate files are small; anything far larger is not one.
    static let fileLimit = 1 << 20

    public static func load(key keyFile: FilePath, certificate certificateFile: FilePath) throws(SigningError) -> SigningKey {
        let keyBytes = try read(keyFile)
        let certificateBytes = try read(certificateFile)
        let certificate: Certificate
        do {
            certificate = try Certificate(bytes: certificateBytes)
        } catch {
            throw SigningError(file: certificateFile, .notACertificate(error.detail))
        }
        let pointer: OpaquePointer? = keyBytes.withUnsafeBytes { raw in
            MemoryBIO.reading(raw) { bio in
                if let pem = PEM_read_bio_PrivateKey(bio, nil, nil, nil) { return pem }
                ERR_clear_error()
                _ = BIO_ctrl(bio, BIO_CTRL_RESET, 0, nil)
                return d2i_PrivateKey_bio(bio, nil)
            }
        }
        guard let pointer else {
            throw SigningError(file: keyFile, .notAPrivateKey(CryptoFailure.last("reading a private key").detail))
        }
        let key = KeyHandle(pointer)
        guard X509_check_private_key(certificate.handle.pointer, key.pointer) == 1 else {
            ERR_clear_error()
            throw SigningError(file: keyFile, .keyDoesNotMatch(certificate: certificateFile.string))
        }
        return SigningKey(keyFile: keyFile, certificateFile: certificateFile, certificate: certificate, key: key)
    }

    private static func read(_ file: FilePath) throws(SigningError) -> [UInt8] {
        do {
            return try BoundedFileRead.read(file, limit: fileLimit)
        } catch {
            throw SigningError(file: file, .unreadable(error.description))
        }
    }
}

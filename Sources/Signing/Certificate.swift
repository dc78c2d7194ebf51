import CCrypto
import ModuleELF

/// An X.509 certificate: the public half of a signing key, what the kernel (or shim's MOK list) trusts, and what
/// names a module's signer. A module's PKCS#7 signature names its certificate by issuer and serial number (as
/// `sign-file` writes it), so those two identify it; the kernel's keyring describes it as `<subject CN>: <subject
/// key identifier>`.
public struct Certificate: Sendable {
    let handle: CertificateHandle
    /// The certificate in DER, as `mokutil --import` takes it.
    public let der: [UInt8]
    public let subjectCommonName: String
    public let issuerCommonName: String
    /// Big-endian, without leading zero bytes: what `modinfo` shows as `sig_key`.
    public let serialNumber: [UInt8]
    public let subjectKeyIdentifier: [UInt8]?
    /// SHA-1 of the DER, as `mokutil --list-enrolled` and `openssl x509 -fingerprint` show it.
    public let sha1Fingerprint: [UInt8]
    /// `notAfter`, as libcrypto prints it (`Nov 11 10:20:30 2126 GMT`).
    public let expires: String
    /// "RSA-2048", "EC-256"…
    public let keyDescription: String

    /// Reads a certificate in DER or PEM (the first one of a PEM file; a key in the same file is passed over).
    public init(bytes: [UInt8]) throws(CryptoFailure) {
        let pointer: OpaquePointer? = bytes.withUnsafeBytes { raw in
            MemoryBIO.reading(raw) { bio in
                if let der = d2i_X509_bio(bio, nil) { return der }
                ERR_clear_error()
                _ = BIO_ctrl(bio, BIO_CTRL_RESET, 0, nil)
                return PEM_read_bio_X509(bio, nil, nil, nil)
            }
        }
        guard let pointer else { throw CryptoFailure.last("reading an X.509 certificate (DER or PEM)") }
        self.init(handle: CertificateHandle(pointer))
    }

    init(handle: CertificateHandle) {
        self.handle = handle
        let x509 = handle.pointer
        der = MemoryBIO.collecting { i2d_X509_bio($0, x509) == 1 } ?? []
        subjectCommonName = Self.commonName(X509_get_subject_name(x509))
        issuerCommonName = Self.commonName(X509_get_issuer_name(x509))
        serialNumber = Self.bytes(of: X509_get0_serialNumber(x509)).drop { $0 == 0 }.map { $0 }
        subjectKeyIdentifier = X509_get0_subject_key_id(x509).map { Self.bytes(of: UnsafePointer($0)) }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        X509_digest(x509, EVP_sha1(), &digest, &length)
        sha1Fingerprint = Array(digest.prefix(Int(length)))
        expires = String(
            decoding: MemoryBIO.collecting { ASN1_TIME_print($0, X509_get0_notAfter(x509)) == 1 } ?? [], as: UTF8.self)
        if let key = X509_get0_pubkey(x509) {
            let kind = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ? "RSA" : EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? "EC" : "other"
            keyDescription = "\(kind)-\(EVP_PKEY_get_bits(key))"
        } else {
            keyDescription = "unknown"
        }
    }

    /// How a module signature made with this certificate names it.
    public var signerName: SignerName { SignerName(signer: Array(issuerCommonName.utf8), serial: serialNumber) }

    private static func commonName(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index), let data = X509_NAME_ENTRY_get_data(entry) else { return "" }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return "" }
        defer { CRYPTO_free(utf8, #fileID, #line) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    private static func bytes(of string: UnsafePointer<ASN1_STRING>?) -> [UInt8] {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
    }
}

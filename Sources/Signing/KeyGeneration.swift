import CCrypto
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Makes a new module-signing key: RSA-2048, a self-signed certificate valid for 100 years (the kernel does not
/// check validity for module signatures; an expiry would only break machines later), `CA:TRUE` (kernels built with
/// `CONFIG_INTEGRITY_CA_MACHINE_KEYRING` admit only CA certificates from the MOK list to their `.machine`
/// keyring), key usage `digitalSignature, keyCertSign`, extended key usage `codeSigning`, subject and authority key
/// identifiers (the kernel's keyring names a key by its subject key identifier). The private key is written PEM,
/// mode 0600, the certificate DER (what `mokutil --import` takes), each through a temporary file renamed into place.
public enum KeyGeneration {
    public static let validityDays = 36_500

    public static func generate(commonName: String, key keyFile: FilePath, certificate certificateFile: FilePath)
        throws(SigningError) -> SigningKey
    {
        let failure = { (operation: String) in SigningError(file: keyFile, .crypto(CryptoFailure.last(operation))) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else { throw failure("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(context) }
        var pointer: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(context, 2048) == 1,
            EVP_PKEY_keygen(context, &pointer) == 1, let pointer
        else { throw failure("generating an RSA-2048 key") }
        let key = KeyHandle(pointer)
        guard let x509 = X509_new() else { throw failure("X509_new") }
        let certificate = CertificateHandle(x509)
        try describe(x509, key: key.pointer, commonName: commonName, failure: failure)
        guard X509_sign(x509, key.pointer, EVP_sha256()) > 0 else { throw failure("self-signing the certificate") }

        guard let keyPEM = MemoryBIO.collecting({ PEM_write_bio_PrivateKey($0, key.pointer, nil, nil, 0, nil, nil) == 1 }) else {
            throw failure("writing the private key")
        }
        let made = Certificate(handle: certificate)
        do throws(SystemError) {
            try FileTree.makeDirectories(keyFile.removingLastComponent(), mode: 0o700)
            try FileTree.makeDirectories(certificateFile.removingLastComponent(), mode: 0o755)
            try AtomicFile.write(keyPEM, to: keyFile, permissions: [.ownerReadWrite])
            try AtomicFile.write(made.der, to: certificateFile)
        } catch {
            throw SigningError(file: keyFile, .write(error.description))
        }
        return SigningKey(keyFile: keyFile, certificateFile: certificateFile, certificate: made, key: key)
    }

    /// Version 3, a random 16-byte positive serial, subject = issuer, validity, public key, extensions.
    private static func describe(
        _ x509: OpaquePointer, key: OpaquePointer, commonName: String, failure: (String) -> SigningError
    ) throws(SigningError) {
        var serial = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&serial, Int32(serial.count)) == 1 else { throw failure("RAND_bytes") }
        serial[0] &= 0x7f
        serial[0] |= 0x40
        guard let number = BN_bin2bn(serial, Int32(serial.count), nil) else { throw failure("BN_bin2bn") }
        defer { BN_free(number) }
        guard X509_set_version(x509, 2) == 1, BN_to_ASN1_INTEGER(number, X509_get_serialNumber(x509)) != nil,
            X509_gmtime_adj(X509_getm_notBefore(x509), 0) != nil,
            X509_time_adj_ex(X509_getm_notAfter(x509), Int32(validityDays), 0, nil) != nil,
            X509_set_pubkey(x509, key) == 1, let name = X509_get_subject_name(x509),
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1,
            X509_set_issuer_name(x509, name) == 1
        else { throw failure("describing the certificate") }
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, x509, x509, nil, nil, 0)
        let extensions: [(Int32, String)] = [
            (NID_basic_constraints, "critical,CA:TRUE"), (NID_key_usage, "digitalSignature,keyCertSign"),
            (NID_ext_key_usage, "codeSigning"), (NID_subject_key_identifier, "hash"),
            (NID_authority_key_identifier, "keyid:always"),
        ]
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else { throw failure("the extension \(value)") }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(x509, ext, -1) == 1 else { throw failure("adding the extension \(value)") }
        }
    }
}

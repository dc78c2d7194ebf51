/// The signature the kernel's `sign-file` appends to a module, as libkmod reports it.
///
/// Layout at the end of the file (kernel `struct module_signature`):
/// ```
/// [ module ][ signer name ][ key id ][ signature data ][ 12-byte info block ][ "~Module signature appended~\n" ]
/// info block: algo u8, hash u8, id_type u8, signer_len u8, key_id_len u8, pad[3], sig_len u32 big-endian
/// ```
/// For `id_type` PKCS#7 (what every current kernel writes) the signer, key id and hash come from the PKCS#7
/// message in the signature data (`PKCS7Signer`); otherwise from the fields laid out before it.
public struct ModuleSignature: Sendable, Hashable {
    /// `sig_id`: "PGP", "X509" or "PKCS#7".
    public let idType: String
    /// `signer`: the signer's name (for PKCS#7, the issuer's common name), raw bytes.
    public let signer: [UInt8]
    /// `sig_key`: the key identifier (for PKCS#7, the certificate serial number, big-endian, no leading zeros).
    public let keyID: [UInt8]
    /// `sig_hashalgo`: "sha256", "sha512"…
    public let hashAlgorithm: String
    /// `signature`: the signature bytes.
    public let signature: [UInt8]

    static let magic = Array("~Module signature appended~\n".utf8)
    static let infoBlockSize = 12
    static let idTypes = ["PGP", "X509", "PKCS#7"]
    static let hashAlgorithms = ["md4", "md5", "sha1", "rmd160", "sha256", "sha384", "sha512", "sha224", "sm3"]
    /// Public-key algorithms the info block may name ("DSA", "RSA"); only checked, as libkmod does.
    static let keyAlgorithmCount = 2

    /// Whether `moduleImage` ends with the signature magic, whatever follows from it.
    public static func hasTrailer(_ moduleImage: UnsafeRawBufferPointer) -> Bool {
        moduleImage.count >= magic.count && moduleImage.suffix(magic.count).elementsEqual(magic)
    }

    /// How many bytes of `moduleImage` are the module itself, before its appended signature: the whole image when
    /// it has no trailer; nil when the trailer's lengths do not fit in the image (a damaged signature, which the
    /// kernel refuses as `-EBADMSG`). A re-signed module is this prefix with a new signature.
    public static func unsignedLength(of bytes: UnsafeRawBufferPointer) -> Int? {
        guard hasTrailer(bytes) else { return bytes.count }
        guard bytes.count - magic.count >= infoBlockSize else { return nil }
        let infoStart = bytes.count - magic.count - infoBlockSize
        let info = Array(bytes[infoStart..<(infoStart + infoBlockSize)])
        let appended = Int(info[3]) + Int(info[4]) + info[8...11].reduce(0) { $0 << 8 | Int($1) }
        return appended <= infoStart ? infoStart - appended : nil
    }

    /// The signature appended to `moduleImage`, or nil when there is none or libkmod would not accept it
    /// (unknown algorithm or id type, lengths that do not fit, an unparsable PKCS#7 message).
    public static func parse(moduleImage bytes: UnsafeRawBufferPointer) -> ModuleSignature? {
        guard hasTrailer(bytes), bytes.count - magic.count >= infoBlockSize else { return nil }
        let infoStart = bytes.count - magic.count - infoBlockSize
        let info = Array(bytes[infoStart..<(infoStart + infoBlockSize)])
        let (algorithm, hash, idType, signerLength, keyIDLength) =
            (Int(info[0]), Int(info[1]), Int(info[2]), Int(info[3]), Int(info[4]))
        let signatureLength = info[8...11].reduce(0) { $0 << 8 | Int($1) }
        guard algorithm < keyAlgorithmCount, hash < hashAlgorithms.count, idType < idTypes.count,
            signatureLength > 0, infoStart >= signatureLength + signerLength + keyIDLength
        else { return nil }
        let signatureData = Array(bytes[(infoStart - signatureLength)..<infoStart])

        if idTypes[idType] == "PKCS#7" {
            guard let signer = PKCS7Signer(der: signatureData) else { return nil }
            return ModuleSignature(
                idType: idTypes[idType], signer: signer.issuerCommonName, keyID: signer.serialNumber,
                hashAlgorithm: signer.digestAlgorithm, signature: signer.encryptedDigest)
        }
        let keyIDStart = infoStart - signatureLength - keyIDLength
        let signerStart = keyIDStart - signerLength
        return ModuleSignature(
            idType: idTypes[idType], signer: Array(bytes[signerStart..<keyIDStart]),
            keyID: Array(bytes[keyIDStart..<(keyIDStart + keyIDLength)]),
            hashAlgorithm: hashAlgorithms[hash], signature: signatureData)
    }
}

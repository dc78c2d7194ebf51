import CCrypto
import Codecs
import ModuleELF
import SystemPackage
import SystemSupport

/// Signs modules exactly as the kernel's `scripts/sign-file` does, in-process:
///
/// ```
/// [ module ][ PKCS#7 SignedData, DER ][ struct module_signature, 12 bytes ][ "~Module signature appended~\n" ]
/// ```
/// The `SignedData` is libcrypto's CMS with sign-file's flags: detached, binary, no certificates, no signed
/// attributes, no S/MIME capabilities, one `SignerInfo` naming the certificate by issuer and serial, with
/// `rsaEncryption` (not `sha256WithRSAEncryption`, which Linux's PKCS#7 parser rejects) for an RSA key. The
/// `module_signature` block is all zero but `id_type` = 2 (PKCS#7) and the big-endian length of the DER. For RSA
/// the result is byte-for-byte sign-file's (PKCS#1 v1.5 signatures are deterministic); ECDSA signatures are not, so
/// two signings of one module differ in their signature value only.
///
/// A module that is already signed has that signature cut off first: signing twice would leave the first signature
/// inside the signed data, and the kernel checks only the last one.
public enum ModuleSigner {
    static let magic = Array("~Module signature appended~\n".utf8)

    /// `module` (a plain ELF image, signed or not) signed with `key`, hashing with `hash` ("sha256", "sha512"…).
    public static func sign(_ module: [UInt8], with key: SigningKey, hash: String, file: FilePath) throws(SigningError)
        -> [UInt8]
    {
        let unsignedLength = module.withUnsafeBytes { ModuleSignature.unsignedLength(of: $0) }
        guard let unsignedLength else { throw SigningError(file: file, .damagedSignature) }
        guard module.starts(with: [0x7f, 0x45, 0x4c, 0x46]) else { throw SigningError(file: file, .notAModule("no ELF header")) }
        let signature = try cms(of: module.prefix(unsignedLength), key: key, hash: hash, file: file)
        let length = UInt32(signature.count)
        let info: [UInt8] = [
            0, 0, 2, 0, 0, 0, 0, 0, UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff),
        ]
        var signed = [UInt8]()
        signed.reserveCapacity(unsignedLength + signature.count + info.count + magic.count)
        signed.append(contentsOf: module.prefix(unsignedLength))
        signed.append(contentsOf: signature)
        signed.append(contentsOf: info)
        signed.append(contentsOf: magic)
        return signed
    }

    /// A module file's bytes signed, in the file's own compression: a compressed module (`.ko.xz`, `.ko.zst`,
    /// `.ko.gz`) is decompressed, signed and compressed again the way kmodmgr compresses for the kernel.
    public static func sign(fileBytes: [UInt8], with key: SigningKey, hash: String, file: FilePath) throws(SigningError) -> [UInt8] {
        let (plain, format): ([UInt8], CompressionFormat)
        do {
            (plain, format) = try Codec.moduleImage(of: fileBytes)
        } catch {
            throw SigningError(file: file, .notAModule("cannot decompress: \(error)"))
        }
        let signed = try sign(plain, with: key, hash: hash, file: file)
        guard format != .none else { return signed }
        do {
            return try Codec.compress(signed, to: format)
        } catch {
            throw SigningError(file: file, .notAModule("cannot compress again (\(format.rawValue)): \(error)"))
        }
    }

    /// The detached CMS signature of `content`, DER, as sign-file makes it.
    static func cms(of content: ArraySlice<UInt8>, key: SigningKey, hash: String, file: FilePath) throws(SigningError) -> [UInt8] {
        guard let digest = EVP_get_digestbyname(hash) else { throw SigningError(file: file, .unknownHash(hash)) }
        let failure = { (operation: String) in SigningError(file: file, .crypto(CryptoFailure.last(operation))) }
        guard let cms = CMS_sign(nil, nil, nil, nil, UInt32(CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY | CMS_DETACHED | CMS_STREAM)) else {
            throw failure("CMS_sign")
        }
        defer { CMS_ContentInfo_free(cms) }
        let signerFlags = UInt32(CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOATTR)
        guard CMS_add1_signer(cms, key.certificate.handle.pointer, key.key.pointer, digest, signerFlags) != nil else {
            throw failure("CMS_add1_signer")
        }
        let finished = content.withUnsafeBytes { raw in
            MemoryBIO.reading(raw) { bio in CMS_final(cms, bio, nil, UInt32(CMS_NOCERTS | CMS_BINARY)) == 1 }
        }
        guard finished else { throw failure("CMS_final") }
        guard let der = MemoryBIO.collecting({ i2d_CMS_bio_stream($0, cms, nil, 0) == 1 }) else { throw failure("i2d_CMS_bio_stream") }
        return der
    }
}

import Foundation

/// Signs modules the way the kernel's `sign-file` does — a detached PKCS#7/CMS signature (issuer and serial,
/// no attributes, no certificates), the 12-byte info block, and the magic — using the real `openssl` command.
public struct ModuleSigner {
    let directory: TemporaryDirectory
    let keyFile: URL

    /// Makes a throwaway RSA key and self-signed certificate whose subject is `commonName`.
    public init(commonName: String = "kmodmgr test signing key", digest: String = "sha256") throws {
        directory = try TemporaryDirectory()
        keyFile = directory.path("signing_key.pem")
        self.digest = digest
        let made = try run(
            "openssl",
            [
                "req", "-new", "-nodes", "-utf8", "-\(digest)", "-days", "36500", "-batch", "-x509",
                "-subj", "/O=kmodmgr tests/CN=\(commonName)/emailAddress=test@example.invalid",
                "-newkey", "rsa:2048", "-outform", "PEM", "-out", keyFile.path, "-keyout", keyFile.path,
            ])
        guard made.status == 0 else { throw SigningFailed(message: made.standardError) }
    }

    let digest: String

    /// `module` with a signature appended.
    public func sign(_ module: [UInt8]) throws -> [UInt8] {
        let input = directory.path("module.ko")
        let signature = directory.path("module.p7s")
        try write(module, to: input)
        let signed = try run(
            "openssl",
            [
                "cms", "-sign", "-in", input.path, "-signer", keyFile.path, "-inkey", keyFile.path, "-binary", "-noattr",
                "-nocerts", "-outform", "DER", "-md", digest, "-out", signature.path,
            ])
        guard signed.status == 0 else { throw SigningFailed(message: signed.standardError) }
        let der = try bytes(of: signature)
        let length = UInt32(der.count)
        // algo 0, hash 0, id_type 2 (PKCS#7), signer_len 0, key_id_len 0, pad[3], sig_len big-endian.
        let info: [UInt8] = [0, 0, 2, 0, 0, 0, 0, 0] + withUnsafeBytes(of: length.bigEndian) { Array($0) }
        return module + der + info + Array("~Module signature appended~\n".utf8)
    }

    public struct SigningFailed: Error, CustomStringConvertible {
        public let message: String
        public var description: String { "openssl failed: \(message)" }
    }
}

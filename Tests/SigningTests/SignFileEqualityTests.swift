import Codecs
import Foundation
import ModuleELF
import Signing
import SystemPackage
import TestSupport
import Testing

/// kmodmgr's in-process signature against the kernel's own `scripts/sign-file` (from Debian's linux-kbuild), on
/// real modules of the installed kernel: byte for byte for RSA (deterministic), verified by openssl and read back
/// as modinfo would for ECDSA (whose signatures differ on every signing).
@Suite struct SignFileEqualityTests {
    /// Three real modules of different sizes, without Debian's own signature.
    static func modules() throws -> [[UInt8]] {
        let kernel = try InstalledKernel.find()
        return try [kernel.sample(3)[0], kernel.sample(3)[1], kernel.sample(3)[2]].map { url in
            var bytes = try TestSupport.bytes(of: url)
            if let format = CompressionFormat.sniff(bytes.prefix(8)) as CompressionFormat?, format != .none {
                bytes = try Codec.decompress(bytes, from: format)
            }
            let length = bytes.withUnsafeBytes { ModuleSignature.unsignedLength(of: $0) }!
            return Array(bytes.prefix(length))
        }
    }

    @Test(arguments: ["sha256", "sha512"])
    func rsaSignaturesEqualSignFile(_ hash: String) throws {
        let keys = try TestKeys(.rsa)
        let key = try SigningKey.load(key: keys.keyPath, certificate: keys.certificatePath)
        for module in try Self.modules() {
            let ours = try ModuleSigner.sign(module, with: key, hash: hash, file: "test.ko")
            let theirs = try keys.signFile(module, hash: hash)
            #expect(ours == theirs, "\(hash): \(ours.count) bytes vs sign-file's \(theirs.count)")
            let signature = try #require(ours.withUnsafeBytes { ModuleSignature.parse(moduleImage: $0) })
            #expect(signature.idType == "PKCS#7" && signature.hashAlgorithm == hash)
            #expect(key.certificate.signerName == SignerName(signer: signature.signer, serial: signature.keyID))
        }
    }

    /// A signed module signed again carries one signature, the new one: exactly what signing the bare module gives.
    @Test func resigningReplacesTheSignature() throws {
        let first = try TestKeys(.rsa)
        let second = try TestKeys(.rsa)
        let module = try Self.modules()[0]
        let once = try first.signFile(module, hash: "sha256")
        let key = try SigningKey.load(key: second.keyPath, certificate: second.certificatePath)
        let again = try ModuleSigner.sign(once, with: key, hash: "sha512", file: "test.ko")
        #expect(again == (try second.signFile(module, hash: "sha512")))
    }

    @Test(arguments: [CompressionFormat.xz, .zstd, .gzip])
    func compressedModulesAreSignedInside(_ format: CompressionFormat) throws {
        let keys = try TestKeys(.rsa)
        let key = try SigningKey.load(key: keys.keyPath, certificate: keys.certificatePath)
        let module = try Self.modules()[1]
        let signed = try ModuleSigner.sign(fileBytes: try Codec.compress(module, to: format), with: key, hash: "sha256", file: "m.ko")
        #expect(CompressionFormat.sniff(signed.prefix(8)) == format)
        #expect(try Codec.decompress(signed, from: format) == (try keys.signFile(module, hash: "sha256")))
    }

    /// ECDSA (P-256), which Linux 6.1 verifies for modules: openssl verifies the detached signature over the
    /// module, and the signature names the certificate as sign-file's does (same length of everything but the
    /// DER-encoded signature value, which varies).
    @Test func ecdsaSignaturesVerify() throws {
        let keys = try TestKeys(.ecdsa)
        let key = try SigningKey.load(key: keys.keyPath, certificate: keys.certificatePath)
        let module = try Self.modules()[0]
        let ours = try ModuleSigner.sign(module, with: key, hash: "sha256", file: "test.ko")
        #expect(try keys.verifies(ours, module: module))
        let theirs = try keys.signFile(module, hash: "sha256")
        #expect(try keys.verifies(theirs, module: module))
        let ourSignature = try #require(ours.withUnsafeBytes { ModuleSignature.parse(moduleImage: $0) })
        let theirSignature = try #require(theirs.withUnsafeBytes { ModuleSignature.parse(moduleImage: $0) })
        #expect(ourSignature.signer == theirSignature.signer && ourSignature.keyID == theirSignature.keyID)
        #expect(ourSignature.hashAlgorithm == "sha256")
    }

    @Test func generatedKeysSignAsSignFileDoes() throws {
        let directory = try TemporaryDirectory()
        let keyPath = FilePath(directory.path("keys/signing.key").path)
        let certificatePath = FilePath(directory.path("keys/signing.der").path)
        let made = try KeyGeneration.generate(commonName: "kmodmgr test key", key: keyPath, certificate: certificatePath)
        var info = stat()
        #expect(stat(keyPath.string, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let text = try run("openssl", ["x509", "-inform", "DER", "-in", certificatePath.string, "-noout", "-text"]).standardOutput
        for expected in [
            "CA:TRUE", "Code Signing", "Digital Signature", "Certificate Sign", "Subject Key Identifier", "CN = kmodmgr test key",
        ] {
            #expect(text.contains(expected), "\(expected) missing in:\n\(text)")
        }
        let loaded = try SigningKey.load(key: keyPath, certificate: certificatePath)
        #expect(loaded.certificate.der == made.certificate.der)
        let module = try Self.modules()[2]
        let signFile = try TestKeys.signFileProgram()
        let output = directory.path("signed.ko")
        try TestSupport.write(module, to: directory.path("plain.ko"))
        let signed = try run(signFile, ["sha256", keyPath.string, certificatePath.string, directory.path("plain.ko").path, output.path])
        #expect(signed.status == 0, "\(signed.standardError)")
        #expect(try ModuleSigner.sign(module, with: loaded, hash: "sha256", file: "m.ko") == (try TestSupport.bytes(of: output)))
    }

    @Test func badKeysAndModulesAreNamed() throws {
        let keys = try TestKeys(.rsa)
        let other = try TestKeys(.rsa)
        #expect(throws: SigningError(file: keys.keyPath, .keyDoesNotMatch(certificate: other.certificatePath.string))) {
            try SigningKey.load(key: keys.keyPath, certificate: other.certificatePath)
        }
        let error = #expect(throws: SigningError.self) { try SigningKey.load(key: keys.certificatePath, certificate: keys.certificatePath) }
        #expect(error?.description.contains("is not a private key") == true)
        let key = try SigningKey.load(key: keys.keyPath, certificate: keys.certificatePath)
        #expect(throws: SigningError(file: "x.ko", .unknownHash("sha999"))) {
            try ModuleSigner.sign(try Self.modules()[0], with: key, hash: "sha999", file: "x.ko")
        }
        // A trailer whose signature length exceeds the file: the kernel says EBADMSG, so does kmodmgr.
        let damaged =
            [0x7f, 0x45, 0x4c, 0x46] + [UInt8](repeating: 0, count: 8) + [0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0]
            + Array("~Module signature appended~\n".utf8)
        #expect(throws: SigningError(file: "x.ko", .damagedSignature)) {
            try ModuleSigner.sign(damaged, with: key, hash: "sha256", file: "x.ko")
        }
        #expect(throws: SigningError.self) { try ModuleSigner.sign(Array("#!/bin/sh\n".utf8), with: key, hash: "sha256", file: "x.ko") }
    }
}

import Foundation
import SystemPackage
import TestSupport

/// A throwaway key and certificate made by the `openssl` command, and the kernel's `sign-file` to sign with it.
struct TestKeys {
    enum Kind { case rsa, ecdsa }

    let directory: TemporaryDirectory
    let keyPath: FilePath
    let certificatePath: FilePath

    init(_ kind: Kind) throws {
        directory = try TemporaryDirectory()
        keyPath = FilePath(directory.path("key.pem").path)
        certificatePath = FilePath(directory.path("cert.der").path)
        let newKey = kind == .rsa ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        let made = try run(
            "openssl",
            [
                "req", "-new", "-nodes", "-x509", "-days", "3650", "-batch", "-subj", "/CN=kmodmgr signing test", "-outform", "DER",
                "-out", certificatePath.string, "-keyout", keyPath.string,
            ] + newKey)
        guard made.status == 0 else { throw Failure(message: made.standardError) }
    }

    /// The kernel's sign-file from Debian's linux-kbuild (the newest, if several).
    static func signFileProgram() throws -> String {
        let base = "/usr/lib"
        let kbuilds = try FileManager.default.contentsOfDirectory(atPath: base).filter { $0.hasPrefix("linux-kbuild-") }.sorted()
        guard let newest = kbuilds.last, FileManager.default.isExecutableFile(atPath: "\(base)/\(newest)/scripts/sign-file") else {
            throw Failure(message: "no /usr/lib/linux-kbuild-*/scripts/sign-file: scripts/setup --deps installs linux-kbuild")
        }
        return "\(base)/\(newest)/scripts/sign-file"
    }

    /// `module` as sign-file signs it.
    func signFile(_ module: [UInt8], hash: String) throws -> [UInt8] {
        let input = directory.path("in-\(UUID().uuidString).ko")
        let output = directory.path("out-\(UUID().uuidString).ko")
        try write(module, to: input)
        let signed = try run(try Self.signFileProgram(), [hash, keyPath.string, certificatePath.string, input.path, output.path])
        guard signed.status == 0 else { throw Failure(message: signed.standardError) }
        return try bytes(of: output)
    }

    /// Whether openssl verifies the signature appended to `signed` over `module` with this certificate.
    func verifies(_ signed: [UInt8], module: [UInt8]) throws -> Bool {
        let info = Array(signed.suffix(28 + 12).prefix(12))
        let length = info[8...11].reduce(0) { $0 << 8 | Int($1) }
        let der = Array(signed[(signed.count - 40 - length)..<(signed.count - 40)])
        let content = directory.path("content-\(UUID().uuidString)")
        let signature = directory.path("signature-\(UUID().uuidString)")
        let pem = directory.path("cert-\(UUID().uuidString).pem")
        try write(module, to: content)
        try write(der, to: signature)
        guard try run("openssl", ["x509", "-inform", "DER", "-in", certificatePath.string, "-out", pem.path]).status == 0 else {
            return false
        }
        let verified = try run(
            "openssl",
            [
                "cms", "-verify", "-binary", "-inform", "DER", "-in", signature.path, "-content", content.path, "-certfile", pem.path,
                "-noverify", "-out", "/dev/null",
            ])
        return verified.status == 0
    }

    struct Failure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

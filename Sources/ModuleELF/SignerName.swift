import SwiftASN1

/// How a module's PKCS#7 signature names its key, and how the kernel finds it: the issuer of the certificate (its
/// common name, as `modinfo` shows `signer`) and the certificate's serial number (`sig_key`, big-endian without
/// leading zeros). The kernel looks the key up by issuer and serial among the keys it trusts.
public struct SignerName: Sendable, Hashable, CustomStringConvertible {
    public let signer: [UInt8]
    public let serial: [UInt8]

    public init(signer: [UInt8], serial: [UInt8]) {
        self.signer = signer
        self.serial = Array(serial.drop { $0 == 0 })
    }

    /// `'Common Name' (serial 1A:2B:…)`, the serial as modinfo prints `sig_key`.
    public var description: String {
        "'\(String(decoding: signer, as: UTF8.self))' (serial \(KernelModule.hexString(serial)))"
    }

    /// The names of the certificates in `bytes`: DER certificates one after another, as the kernel's build keeps
    /// the ones it embeds (`certs/x509_certificate_list`, `certs/signing_key.x509`). Stops at the first element that
    /// is not a certificate.
    public static func ofCertificates(_ bytes: [UInt8]) -> [SignerName] {
        var names = [SignerName]()
        var offset = 0
        while let length = elementLength(bytes, at: offset), offset + length <= bytes.count {
            guard let name = ofCertificate(Array(bytes[offset..<(offset + length)])) else { break }
            names.append(name)
            offset += length
        }
        return names
    }

    /// `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber INTEGER,
    /// signature AlgorithmIdentifier, issuer Name, … }, … }`.
    static func ofCertificate(_ der: [UInt8]) -> SignerName? {
        guard let certificate = try? DER.parse(der), let tbs = certificate.children?.first?.children else { return nil }
        var fields = Array(tbs)
        if fields.first?.identifier.tagClass == .contextSpecific { fields.removeFirst() }
        guard fields.count >= 3, case .primitive(let serial) = fields[0].content else { return nil }
        return SignerName(signer: PKCS7Signer.commonName(of: fields[2]), serial: Array(serial))
    }

    /// The whole length (header included) of the DER element starting at `offset`, or nil.
    private static func elementLength(_ bytes: [UInt8], at offset: Int) -> Int? {
        guard offset + 2 <= bytes.count, bytes[offset] == 0x30 else { return nil }
        let first = Int(bytes[offset + 1])
        if first < 0x80 { return 2 + first }
        let count = first & 0x7f
        guard count >= 1, count <= 4, offset + 2 + count <= bytes.count else { return nil }
        let length = bytes[(offset + 2)..<(offset + 2 + count)].reduce(0) { $0 << 8 | Int($1) }
        return 2 + count + length
    }
}

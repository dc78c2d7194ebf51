import SwiftASN1

/// The first signer of a PKCS#7 `SignedData` message, reduced to what libkmod reports about a module signature.
///
/// ```
/// ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
/// SignedData  ::= SEQUENCE { version, digestAlgorithms SET, contentInfo SEQUENCE,
///                            certificates [0] OPTIONAL, crls [1] OPTIONAL, signerInfos SET OF SignerInfo }
/// SignerInfo  ::= SEQUENCE { version, issuerAndSerialNumber SEQUENCE { issuer Name, serial INTEGER },
///                            digestAlgorithm AlgorithmIdentifier, authenticatedAttributes [0] OPTIONAL,
///                            digestEncryptionAlgorithm AlgorithmIdentifier, encryptedDigest OCTET STRING, … }
/// ```
/// A signer identified by subject key identifier instead of issuer and serial is not a PKCS#7 `SignerInfo`;
/// libkmod (through OpenSSL's `d2i_PKCS7`) then reports no signature details, and so does this.
struct PKCS7Signer {
    let issuerCommonName: [UInt8]
    let serialNumber: [UInt8]
    let digestAlgorithm: String
    let encryptedDigest: [UInt8]

    /// Digest algorithms by OID, named as libkmod names them.
    static let digestNames: [String: String] = [
        "1.2.840.113549.2.4": "md4", "1.2.840.113549.2.5": "md5", "1.3.14.3.2.26": "sha1",
        "1.3.36.3.2.1": "rmd160", "2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384",
        "2.16.840.1.101.3.4.2.3": "sha512", "2.16.840.1.101.3.4.2.4": "sha224", "1.2.156.10197.1.401": "sm3",
    ]
    static let commonNameOID = "2.5.4.3"

    init?(der: [UInt8]) {
        guard let contentInfo = try? DER.parse(der), let parts = contentInfo.children, parts.count >= 2,
            let signedData = parts[1].children?.first?.children,
            let signerInfos = signedData.last, signerInfos.identifier == .set,
            let signerInfo = signerInfos.children?.first?.children, signerInfo.count >= 5,
            let issuerAndSerial = signerInfo[1].children, signerInfo[1].identifier == .sequence,
            issuerAndSerial.count == 2, case .primitive(let serial) = issuerAndSerial[1].content,
            let digestOID = signerInfo[2].children?.first.flatMap(Self.oid),
            let encryptedDigest = signerInfo.first(where: { $0.identifier == .octetString }),
            case .primitive(let digestBytes) = encryptedDigest.content
        else { return nil }
        issuerCommonName = Self.commonName(of: issuerAndSerial[0])
        serialNumber = Array(serial.drop { $0 == 0 })
        digestAlgorithm = Self.digestNames[digestOID] ?? "unknown"
        self.encryptedDigest = Array(digestBytes)
    }

    /// The value of the name's common-name attribute; like libkmod's lookup, the last attribute's value if the
    /// name has no common name, and nothing for an empty name. The value stops at a NUL as a C string would.
    static func commonName(of name: ASN1Node) -> [UInt8] {
        let attributes = (name.children ?? []).flatMap { $0.children ?? [] }.compactMap { $0.children }
        guard let chosen = attributes.first(where: { $0.first.flatMap(oid) == commonNameOID }) ?? attributes.last,
            chosen.count == 2, case .primitive(let value) = chosen[1].content
        else { return [] }
        return Array(value.prefix { $0 != 0 })
    }

    private static func oid(_ node: ASN1Node) -> String? {
        guard node.identifier == .objectIdentifier else { return nil }
        return (try? ASN1ObjectIdentifier(derEncoded: node, withIdentifier: .objectIdentifier))?.description
    }
}

extension ASN1Node {
    /// The child nodes of a constructed node, nil for a primitive one.
    var children: [ASN1Node]? {
        guard case .constructed(let collection) = content else { return nil }
        return Array(collection)
    }
}

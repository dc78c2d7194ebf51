extension KernelModule {
    /// The key/value list `kmod_module_get_info` reports: the `.modinfo` entries in section order, then, for a
    /// signed module, `sig_id`, `signer`, `sig_key`, `sig_hashalgo` and `signature` (byte strings in hex).
    public var infoFields: [ModinfoEntry] {
        guard let signature else { return modinfo }
        return modinfo + [
            ModinfoEntry(key: "sig_id", value: signature.idType),
            ModinfoEntry(key: "signer", value: String(decoding: signature.signer, as: UTF8.self)),
            ModinfoEntry(key: "sig_key", value: Self.hexString(signature.keyID)),
            ModinfoEntry(key: "sig_hashalgo", value: signature.hashAlgorithm),
            ModinfoEntry(key: "signature", value: Self.hexString(signature.signature)),
        ]
    }

    /// Bytes as libkmod shows them: `AB:CD:…`, upper case, a line break plus two tabs after every 20 bytes.
    public static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 3 + bytes.count / 20 * 3)
        for (index, byte) in bytes.enumerated() {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
            guard index < bytes.count - 1 else { break }
            text.append(UInt8(ascii: ":"))
            if (index + 1) % 20 == 0 { text.append(contentsOf: Array("\n\t\t".utf8)) }
        }
        return String(decoding: text, as: UTF8.self)
    }
}

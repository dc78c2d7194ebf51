import Codecs
import ModuleELF
import SystemPackage
import SystemSupport

/// The signature a module file carries, whatever its compression: what `status` shows and `sign --all` compares
/// with the current key.
public enum ModuleSignatures {
    /// Who signed the module at `file` (nil: unsigned, or a signature libkmod could not describe either).
    public static func signer(ofFileAt file: FilePath) -> SignerName? {
        signature(ofFileAt: file).map { SignerName(signer: $0.signer, serial: $0.keyID) }
    }

    /// The signature of the module at `file`, as modinfo reports it.
    public static func signature(ofFileAt file: FilePath) -> ModuleSignature? {
        guard var bytes = try? FileBytes.read(file) else { return nil }
        let format = CompressionFormat.sniff(bytes.prefix(8))
        if format != .none {
            guard let plain = try? Codec.decompress(bytes, from: format) else { return nil }
            bytes = plain
        }
        return bytes.withUnsafeBytes { ModuleSignature.parse(moduleImage: $0) }
    }
}

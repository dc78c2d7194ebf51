import Codecs
import ModuleELF

/// The signature a module file carries, whatever its compression: what `status` shows and `sign --all` compares
/// with the current key.
public enum ModuleSignatures {
    /// The signature in a module file's bytes (any compression), as modinfo reports it; nil: unsigned, or a
    /// signature libkmod could not describe either.
    public static func signature(ofModuleFile bytes: [UInt8]) -> ModuleSignature? {
        guard let (image, _) = try? Codec.moduleImage(of: bytes) else { return nil }
        return image.withUnsafeBytes { ModuleSignature.parse(moduleImage: $0) }
    }

    /// Who signed it.
    public static func signer(ofModuleFile bytes: [UInt8]) -> SignerName? {
        signature(ofModuleFile: bytes).map { SignerName(signer: $0.signer, serial: $0.keyID) }
    }
}

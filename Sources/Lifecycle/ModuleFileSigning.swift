import Kernels
import LoadCheck
import Signing
import SystemPackage
import SystemSupport

/// `kmodmgr sign --file`: one module file signed in place, through a temporary file renamed over it.
public enum ModuleFileSigning {
    /// The most a module file may be (as a built module).
    static let sizeLimit = 1 << 30

    public static func signInPlace(_ file: FilePath, key: SigningKey, hash: String) throws(LifecycleError) {
        let bytes: [UInt8]
        do {
            bytes = try BoundedFileRead.read(file, limit: sizeLimit)
        } catch {
            throw .signing("\(file): \(error)")
        }
        let signed: [UInt8]
        do {
            signed = try ModuleSigner.sign(fileBytes: bytes, with: key, hash: hash, file: file)
        } catch {
            throw .signing(error.description)
        }
        do {
            try AtomicFile.write(signed, to: file)
        } catch {
            throw .system(error)
        }
    }

    /// `CONFIG_MODULE_SIG_HASH` of kernel `release` under `root`, if its config says.
    public static func kernelHash(release: String?, root: Root) -> String? {
        guard let release else { return nil }
        return KernelFacts.config(release: release, root: root)?.moduleSignatureHash
    }
}

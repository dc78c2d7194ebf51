import Kernels
import Signing
import SystemPackage

/// How one kernel's modules are signed: the command's key, the kernel's hash. A build signs the module it stores
/// (so that a built module is a signed one, as DKMS's are); an install strips, signs again and compresses (the
/// strip drops the build's signature: the kernel's `modules_install` order).
struct SigningPlan: Sendable {
    let key: SigningKey
    let hash: String

    /// The plan for a kernel with `config`: when it checks signatures (`CONFIG_MODULE_SIG`, hash
    /// `CONFIG_MODULE_SIG_HASH`) and signing is not switched off (`module_signing=never`); nil otherwise, or when
    /// the root has no key (said once, by `SigningKeys`).
    static func forKernel(_ config: KernelConfig?, context: LifecycleContext) async throws(LifecycleError) -> SigningPlan? {
        guard context.settings.signModules, let config, config.checksModuleSignatures else { return nil }
        guard case .key(let key, _) = try await context.signingKeys.resolve(context) else { return nil }
        return SigningPlan(key: key, hash: config.moduleSignatureHash ?? "sha256")
    }

    /// `module` (a plain image) signed; `file` names it in an error.
    func sign(_ module: [UInt8], file: FilePath) throws(LifecycleError) -> [UInt8] {
        do {
            return try ModuleSigner.sign(module, with: key, hash: hash, file: file)
        } catch {
            throw .signing(error.description)
        }
    }
}

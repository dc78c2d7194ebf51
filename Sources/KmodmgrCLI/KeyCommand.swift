import ArgumentParser
import Lifecycle
import ModuleELF
import Signing
import SystemPackage
import SystemSupport

/// `kmodmgr key`: the module-signing key's life — which key is used and whether the firmware trusts it, a new
/// one, and how to enrol it.
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Show, make or enrol the key modules are signed with.",
        discussion: """
            The key is the first found of: kmodmgr.conf's mok_signing_key/mok_certificate, Ubuntu's shim MOK \
            (/var/lib/shim-signed/mok), akmods' (/etc/pki/akmods), DKMS's (/var/lib/dkms/mok.key, mok.pub), \
            kmodmgr's own (/var/lib/kmodmgr/keys). With --root /, the first install that needs one makes kmodmgr's \
            own; under another root only 'key generate' does.
            """,
        subcommands: [Show.self, Generate.self, EnrollHint.self], defaultSubcommand: Show.self)

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Which key signs modules, its certificate, and whether Secure Boot will accept it.")

        @OptionGroup var options: LifecycleOptions

        func run() async throws {
            let context = try options.context(diagnostics: StandardErrorDiagnostics())
            do {
                let location = try KeyManagement.required(context: context)
                let key = try KeyManagement.load(location, root: context.root)
                let certificate = key.certificate
                var lines = [
                    "key: \(location.key) (\(location.source.rawValue))",
                    "certificate: \(location.certificate)",
                    "subject: \(certificate.subjectCommonName)",
                    "issuer: \(certificate.issuerCommonName)",
                    "serial (sig_key): \(KernelModule.hexString(certificate.serialNumber))",
                    "subject key identifier: \(certificate.subjectKeyIdentifier.map(KernelModule.hexString) ?? "none")",
                    "SHA-1 fingerprint: \(KernelModule.hexString(certificate.sha1Fingerprint))",
                    "key type: \(certificate.keyDescription)",
                    "expires: \(certificate.expires)",
                ]
                if let mokutil = SecureBoot.mokutil(settings: context.settings, root: context.root) {
                    let state = await SecureBoot.state(mokutil: mokutil)
                    switch state {
                    case .enabled:
                        let enrolled = await SecureBoot.isEnrolled(
                            certificate: context.root.resolve(location.certificate), mokutil: mokutil)
                        lines.append(
                            "Secure Boot: enabled; key enrolled: \(enrolled.map { $0 ? "yes" : "no (kmodmgr key enroll-hint)" } ?? "unknown")"
                        )
                    case .disabled: lines.append("Secure Boot: disabled (the firmware loads any module the kernel accepts)")
                    case .unknown(let why): lines.append("Secure Boot: unknown (\(why))")
                    }
                }
                Output.write(lines.joined(separator: "\n") + "\n")
            } catch {
                throw fail(error)
            }
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Make kmodmgr's own signing key (RSA-2048, self-signed, 100 years) under /var/lib/kmodmgr/keys.",
            discussion: """
                A key made here replaces kmodmgr's previous one only with --force: modules signed with the old key are \
                then refused by a kernel that trusted only it, until 'kmodmgr sign --all' signs them again and the new \
                key is enrolled.
                """)

        @OptionGroup var options: LifecycleOptions

        @Option(name: .customLong("common-name"), help: "The certificate's subject (modinfo shows it as signer).")
        var commonName = KeyManagement.defaultCommonName

        @Flag(name: .long, help: "Replace kmodmgr's existing key.")
        var force = false

        func run() async throws {
            let context = try options.context(diagnostics: StandardErrorDiagnostics())
            let root = context.root
            do {
                let key = try KeyManagement.generate(commonName: commonName, replacing: force, context: context)
                let certificate = SigningKeyDiscovery.ownCertificate
                Output.write("\(certificate): made (serial \(KernelModule.hexString(key.certificate.serialNumber)))\n")
                if let used = try SigningKeyDiscovery.locate(root: root, settings: context.settings), used.source != .kmodmgr {
                    Output.note("modules are still signed with \(used.certificate) (\(used.source.rawValue)), which is found first")
                } else {
                    Output.note(
                        "enrol it for Secure Boot: \(SecureBoot.importCommand(certificate: root.resolve(certificate).string))")
                }
            } catch {
                throw fail(error)
            }
        }
    }

    struct EnrollHint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "enroll-hint", abstract: "Say how to enrol the signing key with shim (kmodmgr never enrols by itself).")

        @OptionGroup var options: LifecycleOptions

        func run() async throws {
            let context = try options.context(diagnostics: StandardErrorDiagnostics())
            do {
                let location = try KeyManagement.required(context: context)
                let certificate = context.root.resolve(location.certificate).string
                Output.write(
                    """
                    \(SecureBoot.importCommand(certificate: certificate))
                    # 1. mokutil asks for a one-time password.
                    # 2. Reboot: shim's MokManager starts; choose "Enroll MOK", check the key, enter that password.
                    # 3. After the boot, 'mokutil --test-key \(certificate)' says it is enrolled, and the kernel loads
                    #    modules signed with it.

                    """)
            } catch {
                throw fail(error)
            }
        }
    }
}

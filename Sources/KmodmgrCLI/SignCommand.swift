import ArgumentParser
import Lifecycle
import ModuleELF
import Signing
import SystemPackage
import SystemSupport

/// `kmodmgr sign`: one module file (what the kernel's `sign-file` does, for compressed modules too), or every
/// built and installed module signed again with the current key, without a rebuild.
struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign", abstract: "Sign a module file (--file), or sign every built and installed module again (--all).",
        discussion: """
            --all signs built modules that the current key did not sign again in place, and replaces each \
            package's installed ones through the install transaction (journaled, crash-safe, the index updated once per kernel) and records their new digests: \
            what to run after 'kmodmgr key generate --force' or a change of mok_signing_key. --file signs FILE in \
            place (.ko, .ko.xz, .ko.zst, .ko.gz: signed inside, compressed again), with --key/--cert or the \
            current key, hashing with --hash (default: the kernel's CONFIG_MODULE_SIG_HASH for -k, else sha256).
            """)

    @OptionGroup var options: LifecycleOptions
    // Not KernelSelection: its --all is --all-kernels' other spelling, and here --all means every module.
    @Option(
        name: [.customShort("k"), .customLong("kernel")],
        help: ArgumentHelp("With --all: only this kernel's modules (repeatable); with --file: take this kernel's hash.", valueName: "KVER"),
        completion: .custom(Completions.kernels))
    var kernels: [String] = []

    @Option(name: .long, help: ArgumentHelp("The module file to sign, in place.", valueName: "FILE"), completion: .file())
    var file: String?

    @Flag(name: .long, help: "Sign every installed module again (with -k: those of the kernels given).")
    var all = false

    @Flag(name: .long, help: "With --all: sign again even modules the current key signed already.")
    var force = false

    @Option(name: .long, help: ArgumentHelp("The private key (PEM or DER); with --cert.", valueName: "FILE"), completion: .file())
    var key: String?

    @Option(name: .long, help: ArgumentHelp("The certificate (DER or PEM); with --key.", valueName: "FILE"), completion: .file())
    var cert: String?

    @Option(name: .long, help: ArgumentHelp("The hash (sha256, sha384, sha512…).", valueName: "HASH"))
    var hash: String?

    func validate() throws {
        if (file == nil) == !all { throw ValidationError("give --file FILE or --all") }
        if (key == nil) != (cert == nil) { throw ValidationError("--key and --cert go together") }
        if all && (key != nil || hash != nil) {
            throw ValidationError("--all signs with the current key and each kernel's hash: configure the key in kmodmgr.conf")
        }
    }

    func run() async throws {
        let context = try options.context(diagnostics: StandardErrorDiagnostics())
        do {
            if let file {
                try await signFile(file, context: context)
            } else {
                try await signInstalled(context: context)
            }
        } catch let error as LifecycleError {
            throw fail(error)
        }
    }

    private func signFile(_ file: String, context: LifecycleContext) async throws {
        let path = ProcessEnvironment.absolute(file)
        let signingKey: SigningKey
        if let key, let cert {
            do {
                signingKey = try SigningKey.load(key: ProcessEnvironment.absolute(key), certificate: ProcessEnvironment.absolute(cert))
            } catch {
                throw LifecycleError.signing(error.description)
            }
        } else {
            signingKey = try KeyManagement.load(try KeyManagement.required(context: context), root: context.root)
        }
        let chosenHash =
            hash ?? ModuleFileSigning.kernelHash(release: kernels.first.map { KernelReference(parsing: $0).release }, root: context.root)
            ?? "sha256"
        try ModuleFileSigning.signInPlace(path, key: signingKey, hash: chosenHash)
        Output.write(
            "\(file): signed (\(chosenHash), '\(signingKey.certificate.subjectCommonName)', serial \(KernelModule.hexString(signingKey.certificate.serialNumber)))\n"
        )
    }

    private func signInstalled(context: LifecycleContext) async throws {
        let releases = kernels.isEmpty ? nil : kernels.map { KernelReference(parsing: $0).release }
        let results = try await Resigning.resignInstalled(releases: releases, force: force, context: context)
        var failed = false
        for result in results {
            let head = "\(result.package), \(result.release), \(result.arch)"
            switch result.outcome {
            case .resigned(let modules): Output.write("\(head): signed again: \(modules.joined(separator: " "))\n")
            case .current: Output.write("\(head): signed with the current key already\n")
            case .failed(let reason):
                failed = true
                Output.error("\(head): \(reason)")
            }
        }
        if results.isEmpty { Output.note("nothing installed for the kernels given") }
        if failed { throw ExitStatus.failure.code }
    }
}

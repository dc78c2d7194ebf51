import ArgumentParser
import Lifecycle

/// `kmodmgr import-dkms`: adopts what DKMS manages, without rebuilding or moving anything.
struct ImportDKMSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-dkms",
        abstract: "Adopt every package DKMS manages: registered, built and installed as DKMS left them, nothing rebuilt or moved.",
        discussion: """
            Each package version in DKMS's tree is registered from its /usr/src source; each kernel DKMS built it for \
            gets a build record holding DKMS's modules; each kernel it is installed for gets an install record naming \
            the files DKMS put in /lib/modules/KVER/updates/dkms, where they stay, with the modules they override and \
            the originals DKMS moved aside (uninstall puts those back). DKMS's signing key is kept. What kmodmgr \
            already has is left as it is, so an interrupted import is finished by running it again. The kmodmgr-dkms \
            package runs it once when it replaces DKMS. Exit status: 0 when everything was imported, 1 when something \
            was left in DKMS's tree (each is named).
            """)

    @OptionGroup var options: LifecycleOptions

    @Option(name: .customLong("dkmstree"), help: ArgumentHelp("DKMS's tree, inside the root.", valueName: "DIR"))
    var dkmsTree = "/var/lib/dkms"

    func run() async throws {
        let context = try options.context(diagnostics: StandardErrorDiagnostics())
        let entries: [DKMSImport.Entry]
        do {
            entries = try await DKMSImport.importAll(dkmsTree: dkmsTree, context: context)
        } catch {
            throw fail(error)
        }
        var leftBehind = 0
        for entry in entries {
            let subject = entry.release.isEmpty ? entry.package : "\(entry.package), \(entry.release), \(entry.arch)"
            switch entry.outcome {
            case .added: Output.write("\(subject): added\n")
            case .built: Output.write("\(subject): built (DKMS's modules)\n")
            case .installed: Output.write("\(subject): installed (DKMS's files, left in place)\n")
            case .alreadyKnown: Output.note("\(subject): already known to kmodmgr")
            case .skipped(let reason):
                Output.error("\(subject): not imported: \(reason)")
                leftBehind += 1
            }
        }
        if entries.isEmpty { Output.note("nothing to import from \(dkmsTree)") }
        if leftBehind > 0 { throw ExitStatus.failure.error }
    }
}

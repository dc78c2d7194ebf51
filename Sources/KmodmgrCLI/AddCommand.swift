import ArgumentParser
import Lifecycle

/// `kmodmgr add`: registers a package source.
struct AddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Register a module package: a source directory with a dkms.conf (or that dkms.conf), or NAME/VERSION in /usr/src.",
        discussion: """
            A directory elsewhere is copied to <root>/usr/src/NAME-VERSION (dotfiles included). The dkms.conf is \
            read as data; one that needs bash is evaluated by an unprivileged user (see kmodmgr(8)).
            """)

    @OptionGroup var options: LifecycleOptions

    @Argument(help: ArgumentHelp("DIR (holding dkms.conf), DIR/dkms.conf or NAME/VERSION.", valueName: "DIR|NAME/VERSION"))
    var source: String?

    @Option(name: .customShort("m"), help: ArgumentHelp("The package name (DKMS spelling).", valueName: "NAME"))
    var module: String?

    @Option(name: .customShort("v"), help: ArgumentHelp("The package version (DKMS spelling).", valueName: "VERSION"))
    var version: String?

    @Flag(name: .long, help: "Register again even if already added; replace an existing copy in the source tree.")
    var force = false

    func validate() throws {
        if source == nil && module == nil { throw ValidationError("what to add? give DIR, NAME/VERSION or -m NAME -v VERSION") }
        if source != nil && module != nil { throw ValidationError("give DIR|NAME/VERSION or -m NAME, not both") }
    }

    func run() async throws {
        let diagnostics = StandardErrorDiagnostics()
        let context = try options.context(diagnostics: diagnostics)
        let argument = source ?? [module, version].compactMap { $0 }.joined(separator: "/")
        do {
            let added = try await Registration.add(
                argument, force: force, workingDirectory: ProcessEnvironment.currentDirectory, context: context)
            Output.write("\(added.name)/\(added.version): added (source \(added.source)\(added.copied ? ", copied" : ""))\n")
        } catch {
            throw fail(error)
        }
    }
}

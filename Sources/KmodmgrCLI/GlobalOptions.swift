import ArgumentParser
import SystemPackage
import SystemSupport

/// Options every command accepts, before or after the command's name (`kmodmgr --root DIR add …` is
/// `kmodmgr add --root DIR …`, see `GlobalArgumentOrder`).
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Treat DIR as the root of the managed system.", valueName: "DIR"))
    var root: String = "/"

    @Flag(
        name: .long,
        help:
            "Say more: each step of builds and installs (commands, modules stripped, compressed, installed, the index update); modinfo: how each argument was resolved; depmod: why each dependency exists."
    )
    var verbose = false

    @Flag(name: .shortAndLong, help: "Say less: no notes, only results, warnings and errors.")
    var quiet = false

    /// The root, with a relative `--root` taken against the current directory.
    var resolvedRoot: Root { Root(FilePath(root), workingDirectory: ProcessEnvironment.currentDirectory) }

    func validate() throws {
        if verbose && quiet { throw ValidationError("--verbose and --quiet contradict each other: give one") }
        Output.setQuiet(quiet)
    }
}

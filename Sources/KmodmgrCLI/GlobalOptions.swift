import ArgumentParser
import SystemPackage
import SystemSupport

/// Options every subcommand accepts.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Treat DIR as the root of the managed system.", valueName: "DIR"))
    var root: String = "/"

    @Flag(name: .shortAndLong, help: "Say more (modinfo: how each argument was resolved; depmod: why each dependency exists).")
    var verbose = false

    /// The root, with a relative `--root` taken against the current directory.
    var resolvedRoot: Root { Root(FilePath(root), workingDirectory: ProcessEnvironment.currentDirectory) }
}

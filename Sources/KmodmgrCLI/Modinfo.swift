import ArgumentParser
import Lifecycle

/// `kmodmgr modinfo`: show what a module file or a module name carries, byte-identical to kmod's `modinfo`.
struct Modinfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show information about kernel modules, as modinfo(8) does.",
        discussion: """
            A FILE (any argument with a '/' or a .ko, .ko.gz, .ko.xz or .ko.zst name) is read by kmodmgr itself, \
            whatever its compression. A NAME is looked up (names, aliases, built-ins) in \
            <root>/lib/modules/<kver>.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customShort("v"), help: "Same as --verbose (kmod's spelling: how each argument was resolved).")
    var shortVerbose = false

    private var verbose: Bool { global.verbose || shortVerbose }

    @Option(name: [.customShort("F"), .long], help: "Print only this field's values.")
    var field: String?

    @Option(
        name: [.customShort("k"), .customLong("kernel"), .customLong("set-version")],
        help: ArgumentHelp("Look names up for kernel release KVER (default: the running kernel).", valueName: "KVER"))
    var kernelRelease: String?

    @Option(name: [.customShort("b"), .customLong("basedir")], help: ArgumentHelp("Same as --root.", valueName: "DIR"))
    var basedir: String?

    @Flag(name: [.customShort("0"), .customLong("null")], help: "End each value with a NUL instead of a newline.")
    var nulSeparated = false

    @Argument(help: ArgumentHelp("Module files or names.", valueName: "FILE|NAME"))
    var modules: [String]

    func validate() throws {
        if basedir != nil && global.root != "/" { throw ValidationError("--basedir and --root name the same thing: give one") }
    }

    func run() throws {
        var options = global
        if let basedir { options.root = basedir }
        let inspector = ModuleInspector(
            root: options.resolvedRoot, kernelRelease: kernelRelease ?? ProcessEnvironment.runningKernelRelease,
            workingDirectory: ProcessEnvironment.currentDirectory)
        let renderer = ModinfoRenderer(field: field, separator: nulSeparated ? "\0" : "\n")
        var failed = false
        for argument in modules {
            do {
                for description in try inspector.describe(argument) {
                    if verbose { Output.note(Self.resolution(of: argument, as: description)) }
                    Output.write(renderer.render(description))
                }
            } catch {
                Output.error("\(error)")
                failed = true
            }
        }
        if failed { throw ExitStatus.failure.error }
    }

    /// What `-v` says about one argument: which module it became and how that module is stored.
    static func resolution(of argument: String, as description: ModuleDescription) -> String {
        let storage = description.storedAs.map { $0 == .none ? "uncompressed" : "\($0)-compressed" } ?? "built into the kernel"
        let module = description.builtinName ?? description.filename
        return module == argument ? "\(argument): \(storage)" : "\(argument): \(module), \(storage)"
    }
}

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

/// Operands handed to the parser differently: `find … | xargs kmodmgr modinfo` passes thousands of module
/// paths, and ArgumentParser's bookkeeping per argument word (a set of origins, copied as it grows) made parsing
/// cost more than reading the modules. The operands are set aside by the getopt rules below, the options and the
/// first operand are parsed as usual (so usage errors stay ArgumentParser's), and the rest are added after.
extension Modinfo {
    /// The options of `modinfo` that take a value (kept equal to the declarations above by a test).
    static let optionsTakingValues: Set<String> = ["-F", "--field", "-k", "--kernel", "--set-version", "-b", "--basedir", "--root"]

    /// `arguments` (after the word `modinfo`) split as getopt would: options with their values, and operands.
    static func splitOperands(_ arguments: [String]) -> (options: [String], operands: [String]) {
        var options = [String]()
        var operands = [String]()
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if word == "--" {
                operands += arguments[index...]
                break
            }
            guard word.hasPrefix("-"), word != "-" else {
                operands.append(word)
                continue
            }
            options.append(word)
            if takesNextWord(word), index < arguments.count {
                options.append(arguments[index])
                index += 1
            }
        }
        return (options, operands)
    }

    /// Whether the option word `word` is completed by the next word: `--field`, `-F`, or a cluster of short flags
    /// ending in a short option that takes a value (`-0F`); not `--field=x` or `-Fx`.
    private static func takesNextWord(_ word: String) -> Bool {
        if word.hasPrefix("--") { return !word.contains("=") && optionsTakingValues.contains(word) }
        for (offset, letter) in word.dropFirst().enumerated() where optionsTakingValues.contains("-\(letter)") {
            return offset == word.count - 2
        }
        return false
    }

    /// The parsed command for `modinfo ARGUMENTS…`, its operands set aside and put back.
    static func parseSettingOperandsAside(_ arguments: [String]) throws -> Modinfo {
        let (options, operands) = splitOperands(arguments)
        let parsable: [String]? = options + (operands.first.map { ["--", $0] } ?? [])
        var command = try Modinfo.parse(parsable)
        command.modules = operands
        return command
    }
}

import ArgumentParser
import DepmodIndex
import Lifecycle
import SystemPackage

/// `kmodmgr depmod`: a drop-in for depmod(8) that writes the same ten files, byte for byte.
struct DepmodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "depmod",
        abstract: "Index kernel modules (modules.dep, aliases, symbols, …), as depmod(8) does.",
        discussion: """
            Writes the same ten files as kmod 30's depmod, byte for byte, into <root>/lib/modules/KVER, all \
            published together: nothing changes unless every file was written. What was read from each module \
            is cached in modules.kmodmgr-cache.bin, so the next run reads only modules that changed. FILEs (absolute \
            paths) index just those modules. depmod.d files are read under --root.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customShort("v"), help: "Same as --verbose (kmod's spelling: why each dependency exists).")
    var shortVerbose = false

    private var verbose: Bool { global.verbose || shortVerbose }

    @Flag(name: [.customShort("a"), .long], help: "Index all modules (the default without FILE arguments).")
    var all = false

    @Flag(
        name: [.customShort("A"), .long],
        help: "Do nothing if the index is up to date (any module added, changed, removed or renamed counts).")
    var quick = false

    @Option(name: [.customShort("b"), .customLong("basedir")], help: ArgumentHelp("Same as --root.", valueName: "DIR"))
    var basedir: String?

    @Option(name: [.customShort("C"), .long], help: ArgumentHelp("Read depmod.d configuration from PATH (repeatable).", valueName: "PATH"))
    var config: [String] = []

    @Option(name: [.customShort("E"), .long], help: ArgumentHelp("Kernel symbols and CRCs from Module.symvers.", valueName: "FILE"))
    var symvers: String?

    @Option(name: [.customShort("F"), .long], help: ArgumentHelp("Kernel symbols from System.map.", valueName: "FILE"))
    var filesyms: String?

    @Flag(name: [.customShort("e"), .long], help: "Report symbols nothing provides (needs -E or -F).")
    var errsyms = false

    @Flag(name: [.customShort("n"), .customLong("show"), .customLong("dry-run")], help: "Print the text files instead of writing.")
    var dryRun = false

    @Option(name: [.customShort("P"), .customLong("symbol-prefix")], help: ArgumentHelp("Architecture symbol prefix.", valueName: "C"))
    var symbolPrefix: String?

    @Flag(name: [.customShort("w"), .long], help: "Warn about duplicate values in the indexes.")
    var warn = false

    @Option(name: .long, help: "Node order of the .bin files: v30 (kmod 30–33, Debian 12) or v34 (kmod 34).")
    var format: IndexLayout = .v30

    @Flag(name: .customLong("no-cache"), help: "Read every module again and write no cache.")
    var noCache = false

    @Argument(help: ArgumentHelp("Kernel release (default: the running kernel), then module files.", valueName: "KVER|FILE"))
    var arguments: [String] = []

    func validate() throws {
        if basedir != nil && global.root != "/" { throw ValidationError("--basedir and --root name the same thing: give one") }
        if symvers != nil && filesyms != nil { throw ValidationError("give -E or -F, not both") }
        if let symbolPrefix, symbolPrefix.count != 1 { throw ValidationError("--symbol-prefix takes exactly one character") }
    }

    func run() throws {
        var options = global
        if let basedir { options.root = basedir }
        let release = arguments.first ?? ProcessEnvironment.runningKernelRelease
        var request = DepmodRequest(root: options.resolvedRoot, kernelRelease: release)
        if !config.isEmpty { request.configurationLocations = config.map { FilePath($0) } }
        if arguments.count > 1 && !all { request.explicitModules = arguments.dropFirst().map { FilePath($0) } }
        request.reportUnresolved = errsyms
        request.symbolPrefix = symbolPrefix?.first
        request.explain = verbose
        request.warnDuplicates = warn
        request.layout = format
        request.useCache = !noCache
        var indexing = ModuleIndexing(request: request)
        indexing.kernelSymbolSource = symvers.map { .moduleSymvers(FilePath($0)) } ?? filesyms.map { .systemMap(FilePath($0)) }
        indexing.onlyIfStale = quick
        indexing.dryRun = dryRun

        let diagnostics = StandardErrorDiagnostics()
        let outcome: ModuleIndexing.Outcome
        do { outcome = try indexing.run(sink: diagnostics) } catch {
            for line in error.description.split(separator: "\n") { Output.error(String(line)) }
            throw ExitStatus.failure.error
        }
        switch outcome {
        case .upToDate:
            if verbose { Output.note("\(request.moduleDirectory): index is up to date") }
        case .dryRun(let index):
            for line in index.explanations { Output.write(line + "\n") }
            Output.write(bytes: index.dryRunText)
        case .published(let index):
            for line in index.explanations { Output.write(line + "\n") }
            if verbose {
                Output.note("\(request.moduleDirectory): \(index.moduleCount) modules indexed, \(index.modulesRead) read")
            }
        }
        if diagnostics.sawErrors { throw ExitStatus.failure.error }
    }
}

extension IndexLayout: ExpressibleByArgument {}

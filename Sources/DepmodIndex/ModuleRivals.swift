import Codecs
import SystemPackage
import SystemSupport

/// Every module file of one kernel grouped by module name, duplicates included, and depmod's rule for which of two
/// same-named files the index keeps. `install` asks this before it puts a module next to others: whether the new
/// file will win over each file already there, whatever order the directory walk finds them in.
public struct ModuleRivals: Sendable {
    /// Every module file, duplicates included, in walk order.
    public let files: [ModuleFile]
    private let priority: DuplicatePriority
    private let moduleDirectory: String
    private let root: Root

    /// Walks `<root>/lib/modules/<release>` (and external directories) under the depmod.d configuration in force,
    /// keeping (and reusing) listings in `snapshot` when given: the re-index after an install walks the same tree.
    public init(root: Root, release: String, snapshot: ModuleTreeSnapshot? = nil) {
        let sink = CollectingDiagnosticSink()
        let locations = ConfigurationFiles.defaultDirectories.map { root.resolve($0) }
        let configuration = ConfigurationFiles.load(ConfigurationFiles.files(in: locations, sink: sink), release: release, sink: sink)
        var discovery = ModuleDiscovery(root: root, release: release, configuration: configuration, sink: sink)
        discovery.snapshot = snapshot
        // Kept as a list: an install asks about a module name or two, so grouping 4,000 files by name would be
        // wasted work.
        self.files = discovery.all()
        self.root = root
        self.moduleDirectory = discovery.moduleDirectory
        self.priority = DuplicatePriority(configuration: configuration, moduleDirectory: discovery.moduleDirectory)
    }

    /// The files of module `name` (`snd_hda_intel`), in walk order.
    public func files(named name: String) -> [ModuleFile] {
        files.filter { $0.name == name }
    }

    /// A module file at `relativePath` below the module directory (it need not exist yet).
    public func file(atRelativePath relativePath: String) -> ModuleFile {
        let systemPath = moduleDirectory + "/" + relativePath
        return ModuleFile(hostPath: root.resolve(FilePath(systemPath)), systemPath: systemPath, moduleDirectory: moduleDirectory)
    }

    /// Whether depmod keeps `candidate` over `other` in whichever order it finds them.
    public func outranks(_ candidate: ModuleFile, _ other: ModuleFile) -> Bool {
        priority.candidateWins(candidate, over: other) && !priority.candidateWins(other, over: candidate)
    }
}

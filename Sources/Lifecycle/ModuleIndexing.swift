import DepmodIndex
import SystemPackage
import SystemSupport

/// `kmodmgr depmod`: index a kernel's modules the way depmod(8) would, with its options' meanings.
public struct ModuleIndexing: Sendable {
    /// Where the kernel's own symbols come from (`-E` or `-F`).
    public enum KernelSymbolSource: Sendable {
        case moduleSymvers(FilePath)
        case systemMap(FilePath)
    }

    /// What the run did.
    public enum Outcome: Sendable {
        /// `-A` found nothing changed; nothing was written.
        case upToDate
        /// `-n`: the text files, for standard output; nothing was written.
        case dryRun(GeneratedIndex)
        /// The index was published.
        case published(GeneratedIndex)
    }

    public var request: DepmodRequest
    public var kernelSymbolSource: KernelSymbolSource?
    /// `-A`: do nothing if the index is up to date.
    public var onlyIfStale = false
    /// `-n`: produce the text files instead of writing anything.
    public var dryRun = false

    public init(request: DepmodRequest) {
        self.request = request
    }

    public func run(sink: any DiagnosticSink) throws(IndexingError) -> Outcome {
        var request = request
        if let kernelSymbolSource { request.kernelSymbols = try Self.load(kernelSymbolSource, prefix: request.symbolPrefix) }
        do {
            if onlyIfStale && Depmod.isUpToDate(request, sink: CollectingDiagnosticSink()) { return .upToDate }
            if dryRun { return .dryRun(try Depmod.generate(request, sink: sink)) }
            return .published(try Depmod.run(request, sink: sink))
        } catch { throw .depmod(error) }
    }

    private static func load(_ source: KernelSymbolSource, prefix: Character?) throws(IndexingError) -> KernelSymbols {
        switch source {
        case .moduleSymvers(let path): KernelSymbols.moduleSymvers(try text(path), symbolPrefix: prefix)
        case .systemMap(let path): KernelSymbols.systemMap(try text(path), symbolPrefix: prefix)
        }
    }

    private static func text(_ path: FilePath) throws(IndexingError) -> String {
        do { return String(decoding: try FileBytes.read(path), as: UTF8.self) } catch { throw .symbolFile(error) }
    }
}

/// Why `kmodmgr depmod` failed.
public enum IndexingError: Error, Sendable, CustomStringConvertible {
    /// The `-E` / `-F` file cannot be read.
    case symbolFile(SystemError)
    case depmod(DepmodError)

    public var description: String {
        switch self {
        case .symbolFile(let error): error.description
        case .depmod(let error): error.description
        }
    }
}

import SystemPackage
import SystemSupport

/// depmod's job as a library call: find a kernel's modules, read them (in parallel, through the parse cache),
/// resolve symbols and dependencies, and produce the ten index files byte-identical to kmod 30's depmod
/// (every rule: docs/depmod-index.md). The lifecycle commands call `run`; `kmodmgr depmod` is a thin front end.
public enum Depmod {
    /// Indexes the module directory and publishes the result, holding the directory's lock throughout so two
    /// runs never interleave. On any error nothing is changed.
    @discardableResult
    public static func run(_ request: DepmodRequest, sink: any DiagnosticSink) throws(DepmodError) -> GeneratedIndex {
        try checkModuleDirectory(request)
        let lock: DirectoryLock
        do { lock = try DirectoryLock(request.moduleDirectory) } catch { throw .publish(error) }
        var index = try make(request, sink: sink)
        try index.publish(sink: sink)
        lock.release()
        return index
    }

    /// Reads and resolves everything and returns the files without writing them (`depmod -n` prints these).
    public static func generate(_ request: DepmodRequest, sink: any DiagnosticSink) throws(DepmodError) -> GeneratedIndex {
        try checkModuleDirectory(request)
        return try make(request, sink: sink)
    }

    /// `generate` once the module directory is known to exist.
    private static func make(_ request: DepmodRequest, sink: any DiagnosticSink) throws(DepmodError) -> GeneratedIndex {
        // Walking the tree and decoding the cache are independent and take about as long as each other.
        let (found, cache) = concurrently(
            { Result { () throws(DepmodError) in try ModuleSet(request, sink: sink) } },
            {
                guard request.useCache else { return ParseCache() }
                return request.usablePreparation?.takeCache() ?? ParseCache.load(from: request.moduleDirectory)
            })
        let inputs = try found.get()
        let reading = ModuleReading(modules: inputs.modules, cache: cache)
        for (module, facts) in zip(inputs.modules, reading.facts) where facts.unreadableReason != nil {
            sink.warning("failed to load symbols: \(facts.unreadableReason!)", file: module.hostPath)
        }

        var checks = SymbolResolution.Checks()
        checks.kernelSymbols = request.kernelSymbols
        checks.reportUnresolved = request.reportUnresolved
        checks.symbolPrefix = request.symbolPrefix
        checks.explain = request.explain
        if request.reportUnresolved && request.kernelSymbols == nil {
            sink.warning("-e needs -E or -F; unresolved symbols are not reported")
        }
        let resolution = SymbolResolution(modules: inputs.modules, facts: reading.facts, checks: checks, sink: sink)
        let dependencyLines = try Self.dependencyLines(inputs.modules, resolution.directDependencies)

        let contents = IndexContents(
            modules: inputs.modules, facts: reading.facts, dependencyLines: dependencyLines,
            ownedSymbols: resolution.ownedSymbols, builtinList: inputs.builtinList, builtinModinfo: inputs.builtinModinfo,
            layout: request.layout, warnDuplicates: request.warnDuplicates, sink: sink)
        // Files whose inputs are unchanged since the cache was written with them are kept as they are.
        let digests =
            request.useCache
            ? InputDigests(
                modules: inputs.modules, facts: reading.facts, ownedSymbols: resolution.ownedSymbols, fingerprint: inputs.fingerprint)
            : nil
        var kept = [IndexFile: OutputRecord]()
        if request.keepUnchangedFiles, let digests {
            for file in IndexFile.allCases {
                if let record = cache.outputs[file.fileName], digests.isCurrent(file, record: record, in: request.moduleDirectory) {
                    kept[file] = record
                }
            }
        }
        // The files to make and the parse cache are independent of each other: make them on all cores.
        var newCache = reading.updatedCache
        newCache.fingerprint = inputs.fingerprint
        let jobs: [IndexFile?] = (request.useCache ? [nil] : []) + IndexFile.allCases.filter { kept[$0] == nil }
        var made = jobs.parallelMap { job -> Made in
            guard let file = job else { return .cache(newCache.encoded()) }
            let warnings = CollectingDiagnosticSink()
            let bytes = Result { () throws(IndexFormatError) in try contents.reporting(to: warnings).bytes(of: file) }
            return .file(file, bytes, warnings.diagnostics)
        }
        var files = [(file: IndexFile, contents: [UInt8])]()
        var pendingCache: PendingCache?
        for result in made {
            switch result {
            case .cache(let pending): pendingCache = pending
            case .file(let file, let bytes, let warnings):
                for warning in warnings { sink.report(warning) }
                do { files.append((file, try bytes.get())) } catch { throw .index(file, error) }
            }
        }
        made = []  // the pending cache is now referenced once: sealing appends to it in place
        let index = GeneratedIndex(
            moduleDirectory: request.moduleDirectory, files: files, kept: kept, explanations: resolution.explanations,
            moduleCount: inputs.modules.count, modulesRead: reading.modulesRead, cache: pendingCache.take(),
            inputDigests: digests)
        releaseInBackground((inputs, cache, reading, resolution, contents, newCache, dependencyLines))
        return index
    }

    /// `-A`: whether the index already describes the modules on disk — the same module files (none added,
    /// changed, deleted or renamed), the same configuration and inputs, and every index file present with the
    /// size it was written with.
    public static func isUpToDate(_ request: DepmodRequest, sink: any DiagnosticSink) -> Bool {
        guard (try? checkModuleDirectory(request)) != nil, let inputs = try? ModuleSet(request, sink: sink) else { return false }
        let cache = ParseCache.load(from: request.moduleDirectory)
        guard cache.fingerprint == inputs.fingerprint, cache.entries.count == inputs.modules.count else { return false }
        for module in inputs.modules {
            guard let entry = cache.entries[module.hostPath.string], let status = module.status ?? (try? FileBytes.status(module.hostPath)),
                entry.status == status
            else { return false }
        }
        return IndexFile.allCases.allSatisfy { file in
            let status = try? FileBytes.status(request.moduleDirectory.appending(file.fileName))
            return status.map { Int($0.size) } == cache.outputs[file.fileName]?.size
        }
    }

    /// One product of the parallel phase.
    private enum Made {
        /// A file's bytes (or why it could not be made) and the warnings made while making it.
        case file(IndexFile, Result<[UInt8], IndexFormatError>, [Diagnostic])
        case cache(PendingCache)
    }

    private static func checkModuleDirectory(_ request: DepmodRequest) throws(DepmodError) {
        guard DepmodRequest.isKernelRelease(request.kernelRelease) else { throw .badKernelRelease(request.kernelRelease) }
        do throws(SystemError) {
            let status = try FileBytes.status(request.moduleDirectory)
            if status.kind != .directory { throw SystemError("open directory", path: request.moduleDirectory, errno: .notDirectory) }
        } catch { throw .moduleDirectory(error) }
    }

    /// Each module's `modules.dep` line (without newline): its path, a colon, then every module it needs,
    /// directly or not, in topological order.
    static func dependencyLines(_ modules: [ModuleFile], _ dependencies: [[Int]]) throws(DepmodError) -> [String] {
        let order: DependencyOrder
        switch DependencyOrder.sort(dependencies) {
        case .success(let sorted): order = sorted
        case .failure(let report):
            throw .dependencyCycle(cycles: report.cycles.map { $0.map { modules[$0].name } }, moduleCount: report.moduleCount)
        }
        var visited = [Bool](repeating: false, count: modules.count)
        return modules.indices.map { index in
            var line = modules[index].indexedPath + ":"
            for dependency in order.closure(of: index, in: dependencies, visited: &visited) {
                line += " " + modules[dependency].indexedPath
            }
            return line
        }
    }
}

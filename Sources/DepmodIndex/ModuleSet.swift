import SystemPackage
import SystemSupport

/// The modules of one run in array order, plus the other files the index is made from, and a fingerprint of
/// every input besides the modules themselves (for `-A`).
struct ModuleSet {
    let modules: [ModuleFile]
    let builtinList: [UInt8]?
    let builtinModinfo: [UInt8]?
    let fingerprint: String

    /// The largest module count the 16-bit priorities of the index can number.
    static let maximumModules = 65534

    init(_ request: DepmodRequest, sink: any DiagnosticSink) throws(DepmodError) {
        let directory = request.moduleDirectory
        let systemDirectory = "/lib/modules/\(request.kernelRelease)"
        var fingerprint = "layout=\(request.layout.rawValue) prefix=\(request.symbolPrefix.map(String.init) ?? "")\n"
        let found: [ModuleFile]
        if let explicit = request.explicitModules {
            found = try Self.explicitModules(explicit, root: request.root, systemDirectory: systemDirectory)
            fingerprint += "files=" + explicit.map(\.string).joined(separator: " ") + "\n"
        } else {
            let locations = request.configurationLocations ?? ConfigurationFiles.defaultDirectories.map { request.root.resolve($0) }
            let configFiles = ConfigurationFiles.files(in: locations, sink: sink)
            for file in configFiles { fingerprint += Self.describe(file) }
            let configuration = ConfigurationFiles.load(configFiles, release: request.kernelRelease, sink: sink)
            // An unlistable module directory must fail the run, not index nothing.
            do { try DirectoryListing.checkListable(directory) } catch { throw .moduleDirectory(error) }
            var discovery = ModuleDiscovery(root: request.root, release: request.kernelRelease, configuration: configuration, sink: sink)
            discovery.snapshot = request.usablePreparation?.snapshot
            found = discovery.discover()
        }
        guard found.count <= Self.maximumModules else { throw .tooManyModules(found.count) }

        let order = try? FileBytes.read(directory.appending("modules.order"))
        if order == nil { sink.warning("could not open \(directory.appending("modules.order")): modules are listed in hash order") }
        modules = ModuleOrder.arrange(found, modulesOrder: order)
        builtinList = try? FileBytes.read(directory.appending("modules.builtin"))
        builtinModinfo = try? FileBytes.read(directory.appending("modules.builtin.modinfo"))
        for input in ["modules.order", "modules.builtin", "modules.builtin.modinfo"] {
            fingerprint += Self.describe(directory.appending(input))
        }
        self.fingerprint = fingerprint
    }

    /// `depmod VERSION FILE…`: exactly these files, which must exist, be absolute, and have distinct names.
    private static func explicitModules(_ paths: [FilePath], root: Root, systemDirectory: String) throws(DepmodError) -> [ModuleFile] {
        var byName = [String: ModuleFile]()
        var modules = [ModuleFile]()
        let rootPrefix = root.path.string == "/" ? "" : root.path.string
        for path in paths {
            guard path.isAbsolute else { throw .relativeModulePath(path.string) }
            do { _ = try FileBytes.status(path) } catch { throw .unusableModule(error) }
            let text = path.string
            let systemPath = !rootPrefix.isEmpty && text.hasPrefix(rootPrefix + "/") ? String(text.dropFirst(rootPrefix.count)) : text
            let module = ModuleFile(hostPath: path, systemPath: systemPath, moduleDirectory: systemDirectory)
            if let earlier = byName[module.name] {
                throw .duplicateModule(name: module.name, first: earlier.hostPath.string, second: text)
            }
            byName[module.name] = module
            modules.append(module)
        }
        return modules
    }

    /// One fingerprint line for an input file: its path and identity, or that it is missing.
    private static func describe(_ path: FilePath) -> String {
        guard let status = try? FileBytes.status(path) else { return "\(path) missing\n" }
        return "\(path) \(status.size) \(status.modificationNanoseconds) \(status.inode) \(status.device)\n"
    }
}

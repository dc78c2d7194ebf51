import Codecs
import KmodBridge
import ModuleELF
import SystemPackage
import SystemSupport

/// What `modinfo` shows about one module.
public struct ModuleDescription: Sendable {
    /// The module's name when it is built into the kernel (modinfo prints it first); nil for a module file.
    public let builtinName: String?
    /// The absolute path of the module file, or `(builtin)`.
    public let filename: String
    /// How the module file is compressed; nil for a built-in module.
    public let storedAs: CompressionFormat?
    /// The key/value list in libkmod's order, signature fields last.
    public let fields: [ModinfoEntry]
}

/// Why a module could not be described.
public enum InspectError: Error, Sendable, CustomStringConvertible {
    /// The file could not be read or decompressed.
    case unreadable(CodecFileError)
    /// The file was read but is not a valid kernel module.
    case notAModule(path: FilePath, reason: ModuleELFError)
    /// No module, alias or built-in of that name exists for the kernel.
    case notFound(name: String, moduleDirectory: FilePath)
    /// libkmod failed while looking the name up.
    case lookupFailed(KmodError)

    public var description: String {
        switch self {
        case .unreadable(let error): error.description
        case .notAModule(let path, let reason): "'\(path)': not a kernel module: \(reason)"
        case .notFound(let name, let directory): "module '\(name)' not found in '\(directory)'"
        case .lookupFailed(let error): error.description
        }
    }
}

/// Describes modules for `kmodmgr modinfo`: a file is read with kmodmgr's own readers (any compression,
/// `.ko.gz` included); a name is resolved through libkmod's lookup in the kernel's index, as `modinfo` does.
public struct ModuleInspector {
    /// The root all module directories are under.
    public let root: Root
    /// The kernel release whose module directory names are looked up in.
    public let kernelRelease: String
    /// The directory relative file arguments are taken against.
    public let workingDirectory: FilePath

    public init(root: Root, kernelRelease: String, workingDirectory: FilePath) {
        self.root = root
        self.kernelRelease = kernelRelease
        self.workingDirectory = workingDirectory
    }

    /// Whether a command-line argument names a file rather than a module: it has a `/` or a module extension.
    public static func isFileArgument(_ argument: String) -> Bool {
        argument.contains("/") || CompressionFormat.ofModuleFileName(argument) != nil
    }

    /// Describes what `argument` names: one module for a file, every match for a name or alias.
    public func describe(_ argument: String) throws(InspectError) -> [ModuleDescription] {
        if Self.isFileArgument(argument) {
            // Shown as libkmod shows it: made absolute by prefixing the working directory, never normalised.
            let shown = argument.hasPrefix("/") ? argument : workingDirectory.string + "/" + argument
            return [try describeFile(FilePath(shown), shownAs: shown)]
        }
        return try describeName(argument)
    }

    /// Describes the module file at `path` with ModuleELF; `shownAs` is the file name to report.
    public func describeFile(_ path: FilePath, shownAs: String? = nil) throws(InspectError) -> ModuleDescription {
        let parsed: (Result<KernelModule, ModuleELFError>, CompressionFormat)
        do {
            parsed = try Codec.withModuleImage(at: path) { image, format in
                (Result { () throws(ModuleELFError) in try KernelModule.parse(image: image, parts: [.modinfo, .signature]) }, format)
            }
        } catch { throw .unreadable(error) }
        switch parsed.0 {
        case .success(let module):
            return ModuleDescription(
                builtinName: nil, filename: shownAs ?? path.string, storedAs: parsed.1, fields: module.infoFields)
        case .failure(let reason):
            throw .notAModule(path: path, reason: reason)
        }
    }

    /// Resolves `name` in `<root>/lib/modules/<release>` and describes every module it matches.
    private func describeName(_ name: String) throws(InspectError) -> [ModuleDescription] {
        let directory = root.moduleDirectory(release: kernelRelease)
        do {
            let context = try KmodContext(moduleDirectory: directory)
            let matches = try context.lookup(name)
            guard !matches.isEmpty else { throw InspectError.notFound(name: name, moduleDirectory: directory) }
            var descriptions = [ModuleDescription]()
            for match in matches {
                if let path = match.path {
                    descriptions.append(try describeFile(path))
                } else {
                    let fields = try context.info(ofModuleNamed: match.name).map { ModinfoEntry(key: $0.key, value: $0.value) }
                    descriptions.append(ModuleDescription(builtinName: match.name, filename: "(builtin)", storedAs: nil, fields: fields))
                }
            }
            return descriptions
        } catch let error as KmodError {
            throw .lookupFailed(error)
        } catch let error as InspectError {
            throw error
        } catch {
            preconditionFailure("unexpected error: \(error)")
        }
    }
}

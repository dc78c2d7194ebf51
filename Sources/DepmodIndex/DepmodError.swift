import SystemSupport

/// Why an indexing run stopped without writing anything.
public enum DepmodError: Error, Sendable, CustomStringConvertible {
    /// The kernel release does not start with `N.N`.
    case badKernelRelease(String)
    /// The module directory cannot be listed.
    case moduleDirectory(SystemError)
    /// An explicitly named module file is not an absolute path.
    case relativeModulePath(String)
    /// An explicitly named module file cannot be used.
    case unusableModule(SystemError)
    /// Two explicitly named files give the same module name.
    case duplicateModule(name: String, first: String, second: String)
    /// More modules than the 16-bit priorities of the index format can number.
    case tooManyModules(Int)
    /// Modules depend on each other in a loop; `cycles` lists them (`a -> b -> a`).
    case dependencyCycle(cycles: [[String]], moduleCount: Int)
    /// An index could not be encoded.
    case index(IndexFile, IndexFormatError)
    /// Writing, locking or publishing failed; the previous index is untouched.
    case publish(SystemError)
    /// Publishing went wrong after files were replaced (restoring failed, or the directory could not be synced).
    case incompletePublication(AtomicFileSetError)

    public var description: String {
        switch self {
        case .badKernelRelease(let release): "bad kernel release '\(release)' (expected a version such as 6.1.0-13-amd64)"
        case .moduleDirectory(let error): "\(error)"
        case .relativeModulePath(let path): "'\(path)': module paths must be absolute"
        case .unusableModule(let error): "\(error)"
        case .duplicateModule(let name, let first, let second): "module '\(name)' given twice: '\(first)' and '\(second)'"
        case .tooManyModules(let count): "\(count) modules: the index format holds at most 65534"
        case .dependencyCycle(let cycles, let count):
            (cycles.map { "cycle detected: " + $0.joined(separator: " -> ") } + ["found \(count) modules in dependency cycles"])
                .joined(separator: "\n")
        case .index(let file, let error): "\(file.fileName): \(error)"
        case .publish(let error): "\(error); the previous index is unchanged"
        case .incompletePublication(let error): "index: \(error)"
        }
    }
}

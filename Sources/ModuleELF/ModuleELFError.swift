/// Why a buffer could not be read as a kernel module. The caller adds the file name (parsers take bytes, not files).
public enum ModuleELFError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The buffer does not start with an ELF header (`\x7fELF`).
    case notELF
    /// The ELF header or section table is malformed (bad class, entry size, or out-of-range offsets).
    case malformedHeader(String)
    /// A section's contents lie outside the buffer or are inconsistent with its declared entry size.
    case malformedSection(name: String, detail: String)
    /// libelf refused the image.
    case libelf(String)

    public var description: String {
        switch self {
        case .notELF: "not an ELF file"
        case .malformedHeader(let detail): "malformed ELF header: \(detail)"
        case .malformedSection(let name, let detail): "malformed section \(name): \(detail)"
        case .libelf(let message): "libelf: \(message)"
        }
    }
}

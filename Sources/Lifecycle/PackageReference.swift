/// `NAME/VERSION`, as typed: both parts single, safe path components.
public struct PackageReference: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let version: String?

    public init(name: String, version: String?) {
        self.name = name
        self.version = version
    }

    /// Parses `NAME` or `NAME/VERSION` (DKMS's `-m NAME/VERSION` spelling).
    public init(parsing text: String) throws(LifecycleError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy(Self.isSafeComponent) else { throw .invalidReference(text) }
        self.init(name: parts[0], version: parts.count == 2 ? parts[1] : nil)
    }

    public var description: String { version.map { "\(name)/\($0)" } ?? name }

    static func isSafeComponent(_ text: String) -> Bool {
        !text.isEmpty && text != "." && text != ".." && !text.contains(where: { $0 == "/" || $0 == "\0" || $0.isNewline })
    }
}

/// A kernel named on the command line: `KVER` or DKMS's `KVER/ARCH`.
public struct KernelReference: Sendable, Hashable {
    public let release: String
    public let arch: String?

    public init(parsing text: String) {
        if let slash = text.firstIndex(of: "/") {
            release = String(text[..<slash])
            arch = String(text[text.index(after: slash)...])
        } else {
            release = text
            arch = nil
        }
    }
}

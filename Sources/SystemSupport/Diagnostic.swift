import SystemPackage

/// A non-fatal finding a library reports while it works (a skipped config line, an unreadable module), with the
/// file and line it is about. Libraries never print: they hand these to a `DiagnosticSink` and go on.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case error, warning, note
    }

    public let severity: Severity
    public let message: String
    /// The file the finding is about, if any.
    public let file: FilePath?
    /// The 1-based line in `file`, if the finding is about one line.
    public let line: Int?

    public init(_ severity: Severity, _ message: String, file: FilePath? = nil, line: Int? = nil) {
        self.severity = severity
        self.message = message
        self.file = file
        self.line = line
    }

    /// `path:line: warning: message`, or `warning: message` when no file is involved.
    public var description: String {
        var location = ""
        if let file { location = line.map { "\(file):\($0): " } ?? "\(file): " }
        return "\(location)\(severity.rawValue): \(message)"
    }
}

/// Where libraries send diagnostics. Implementations must be safe to call from several threads at once
/// (modules are read in parallel).
public protocol DiagnosticSink: Sendable {
    func report(_ diagnostic: Diagnostic)
}

extension DiagnosticSink {
    public func warning(_ message: String, file: FilePath? = nil, line: Int? = nil) {
        report(Diagnostic(.warning, message, file: file, line: line))
    }

    public func error(_ message: String, file: FilePath? = nil, line: Int? = nil) {
        report(Diagnostic(.error, message, file: file, line: line))
    }

    public func note(_ message: String, file: FilePath? = nil, line: Int? = nil) {
        report(Diagnostic(.note, message, file: file, line: line))
    }
}

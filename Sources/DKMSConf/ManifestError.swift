import SystemPackage

/// Why a dkms.conf could not be turned into a `PackageManifest`, with the place in the file it is about.
///
/// Every user-facing failure of this target is one of these: syntax errors carry line and column, directive errors
/// name the directive, and shell failures say how bash ended. `description` is one line, `<file>:<line>:<col>: <what>`
/// (line and column are left out when the problem is not at one place in the file).
public struct ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// The file cannot be read.
        case unreadable(String)
        /// The text is not valid shell (an unterminated quote, a stray `)` …).
        case syntax(String)
        /// The file needs bash (`reason` says which construct) and the shell policy forbids it.
        case shellForbidden(reason: String)
        /// bash did not finish within the time limit.
        case shellTimedOut(Duration)
        /// bash ended badly (`how` is the exit status or signal; `detail` the last line of its stderr).
        case shellFailed(how: String, detail: String)
        /// bash could not be started.
        case shellUnavailable(String)
        /// What bash printed could not be read back (a bug, or a file that tampered with the output).
        case unexpectedShellOutput(String)
        /// A required directive is missing or empty.
        case missingDirective(String)
        /// A directive's value is not acceptable (`directive` is the name with its index, such as `MAKE_MATCH[1]`).
        case invalidDirective(directive: String, value: String, reason: String)
    }

    public let file: FilePath
    /// 1-based line, when the problem is at one place in the file.
    public let line: Int?
    /// 1-based column (in bytes), when known.
    public let column: Int?
    public let kind: Kind

    public init(file: FilePath, line: Int? = nil, column: Int? = nil, _ kind: Kind) {
        self.file = file
        self.line = line
        self.column = column
        self.kind = kind
    }

    /// `<file>:<line>:<col>: <what>`, or fewer location parts when they are unknown.
    public var description: String {
        var location = file.string
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return "\(location): \(message)".visible
    }

    /// The message without its location.
    public var message: String {
        switch kind {
        case .unreadable(let reason): "cannot read dkms.conf: \(reason)"
        case .syntax(let what): what
        case .shellForbidden(let reason): "needs the shell (\(reason)), and shell evaluation is not allowed"
        case .shellTimedOut(let limit): "bash did not finish within \(limit.components.seconds) s; dkms.conf evaluation abandoned"
        case .shellFailed(let how, let detail): "bash evaluating dkms.conf ended with \(how)\(detail.isEmpty ? "" : ": \(detail)")"
        case .shellUnavailable(let reason): "cannot evaluate dkms.conf with bash: \(reason)"
        case .unexpectedShellOutput(let what): "cannot read the directives bash printed: \(what)"
        case .missingDirective(let name): "required directive \(name) is missing or empty"
        case .invalidDirective(let directive, let value, let reason): "\(directive)=\(shellQuotedForMessage(value)): \(reason)"
        }
    }
}

/// A value in double quotes for a message, as written in the file (`"^5\."`); control characters are made visible.
func shellQuotedForMessage(_ value: String) -> String {
    "\"" + value.visible + "\""
}

extension String {
    /// The text with control characters written as `\n`, `\r`, `\t` or `\xHH`, so that a message stays on one line
    /// whatever bytes a damaged file holds.
    var visible: String {
        var result = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

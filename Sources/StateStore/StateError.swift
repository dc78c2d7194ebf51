import SystemSupport

/// What went wrong with the state tree, naming the file concerned.
public enum StateError: Error, Sendable, CustomStringConvertible {
    case system(SystemError)
    case malformedRecord(file: String, line: Int, reason: String)
    case missingField(file: String, key: String)

    public var description: String {
        switch self {
        case .system(let error): error.description
        case .malformedRecord(let file, let line, let reason): "\(file):\(line): \(reason)"
        case .missingField(let file, let key): "\(file): no '\(key)' entry"
        }
    }
}

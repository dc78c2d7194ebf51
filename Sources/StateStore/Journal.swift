import SystemPackage

/// `<state>/.journal/<transaction>`: an install or uninstall written down before it touches `lib/modules`, so that
/// after a crash at any instant the next kmodmgr run can finish it (see `Lifecycle.Transaction`). Every path is as
/// the managed system sees it (inside the root).
public struct Journal: Sendable, Equatable {
    public enum Action: String, Sendable {
        case install, uninstall
    }

    /// One file operation; each is idempotent given the digests, so a journal can be replayed any number of times.
    public enum Step: Sendable, Equatable {
        /// Install: make `directory` (recorded so uninstall can remove it once empty).
        case makeDirectory(String)
        /// Install: copy the module at `original` to `backup`, then remove `original`.
        case displace(original: String, backup: String, digest: String)
        /// Install: put the prepared file `staged` at `destination` (temp file, fsync, rename).
        case place(staged: String, destination: String, digest: String)
        /// Uninstall: remove the installed file.
        case remove(destination: String, digest: String)
        /// Uninstall: put the moved-aside module back, then drop the backup.
        case restore(backup: String, original: String, digest: String)
        /// Uninstall: remove a directory an install created, if it is empty.
        case removeDirectory(String)
    }

    public var transaction: String
    public var action: Action
    public var package: String
    public var version: String
    public var release: String
    public var arch: String
    public var steps: [Step]

    public init(
        transaction: String, action: Action, package: String, version: String, release: String, arch: String, steps: [Step]
    ) {
        self.transaction = transaction
        self.action = action
        self.package = package
        self.version = version
        self.release = release
        self.arch = arch
        self.steps = steps
    }

    var record: RecordFormat {
        var record = RecordFormat()
        record.append("transaction", transaction)
        record.append("action", action.rawValue)
        record.append("package", package)
        record.append("version", version)
        record.append("kernel", release)
        record.append("arch", arch)
        for step in steps {
            switch step {
            case .makeDirectory(let directory): record.append("mkdir", directory)
            case .displace(let original, let backup, let digest): record.append("displace", "\(original) \(backup) \(digest)")
            case .place(let staged, let destination, let digest): record.append("place", "\(staged) \(destination) \(digest)")
            case .remove(let destination, let digest): record.append("remove", "\(destination) \(digest)")
            case .restore(let backup, let original, let digest): record.append("restore", "\(backup) \(original) \(digest)")
            case .removeDirectory(let directory): record.append("rmdir", directory)
            }
        }
        return record
    }

    public init(_ record: RecordFormat, file: FilePath) throws(StateError) {
        func required(_ key: String) throws(StateError) -> String { try record.required(key, file: file) }
        guard let action = Action(rawValue: try required("action")) else {
            throw .malformedRecord(file: file.string, line: 0, reason: "unknown action '\(record.value("action") ?? "")'")
        }
        var steps = [Step]()
        for (line, field) in record.fields.enumerated() {
            let parts = field.value.split(separator: " ").map(String.init)
            func expect(_ count: Int) throws(StateError) {
                guard parts.count == count else {
                    throw .malformedRecord(file: file.string, line: line + 1, reason: "'\(field.key)' needs \(count) fields")
                }
            }
            switch field.key {
            case "mkdir": steps.append(.makeDirectory(field.value))
            case "rmdir": steps.append(.removeDirectory(field.value))
            case "displace":
                try expect(3)
                steps.append(.displace(original: parts[0], backup: parts[1], digest: parts[2]))
            case "place":
                try expect(3)
                steps.append(.place(staged: parts[0], destination: parts[1], digest: parts[2]))
            case "remove":
                try expect(2)
                steps.append(.remove(destination: parts[0], digest: parts[1]))
            case "restore":
                try expect(3)
                steps.append(.restore(backup: parts[0], original: parts[1], digest: parts[2]))
            default: continue
            }
        }
        self.init(
            transaction: try required("transaction"), action: action, package: try required("package"),
            version: try required("version"), release: try required("kernel"), arch: try required("arch"), steps: steps)
    }
}

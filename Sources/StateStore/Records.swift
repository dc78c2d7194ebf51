import SystemPackage

/// A registered package version: `<state>/<name>/<version>/package`.
public struct PackageRecord: Sendable, Equatable {
    public let name: String
    public let version: String
    /// The source directory as seen inside the root (`/usr/src/<name>-<version>`).
    public let source: String
    /// Seconds since the epoch.
    public let added: Int

    public init(name: String, version: String, source: String, added: Int) {
        self.name = name
        self.version = version
        self.source = source
        self.added = added
    }

    var record: RecordFormat {
        var record = RecordFormat()
        record.append("name", name)
        record.append("version", version)
        record.append("source", source)
        record.append("added", String(added))
        return record
    }

    public init(_ record: RecordFormat, file: FilePath) throws(StateError) {
        func required(_ key: String) throws(StateError) -> String { try record.required(key, file: file) }
        self.init(
            name: try required("name"), version: try required("version"), source: try required("source"),
            added: Int(record.value("added") ?? "") ?? 0)
    }
}

/// What the last build of a package version for one kernel and arch came to.
public enum BuildState: String, Sendable, Equatable, CaseIterable {
    case built, failed, skipped
}

/// One module a build produced, under the name it will be installed as, with the SHA-256 of its bytes.
public struct BuiltModule: Sendable, Equatable {
    public let name: String
    public let digest: String

    public init(name: String, digest: String) {
        self.name = name
        self.digest = digest
    }
}

/// `<state>/<name>/<version>/<kver>/<arch>/record`: the commit point of every build transition. It is replaced
/// atomically, and only after everything it refers to (the build directory, the log) is on disk.
public struct BuildRecord: Sendable, Equatable {
    public var state: BuildState
    /// Names the build's directory and log (`<kver>/<arch>/<build>/`, `log/<build>.log`).
    public var build: String
    /// Seconds since the epoch when the build finished.
    public var time: Int
    public var elapsedSeconds: Double
    /// Why it failed or was skipped (one line).
    public var reason: String?
    /// The digests the build was made from: any change makes the result stale.
    public var sourceDigest: String
    public var manifestDigest: String
    public var headersDigest: String
    public var modules: [BuiltModule]
    /// How the manifest was evaluated (`native` or `shell`).
    public var evaluation: String
    /// Cheap fingerprints (file metadata only) of the source tree and the kernel's ABI files at build time: `status`
    /// compares them to say "stale" without reading any file's contents or evaluating the dkms.conf.
    public var sourceStamp: String = ""
    public var headersStamp: String = ""

    public init(
        state: BuildState, build: String, time: Int, elapsedSeconds: Double, reason: String?, sourceDigest: String,
        manifestDigest: String, headersDigest: String, modules: [BuiltModule], evaluation: String
    ) {
        self.state = state
        self.build = build
        self.time = time
        self.elapsedSeconds = elapsedSeconds
        self.reason = reason
        self.sourceDigest = sourceDigest
        self.manifestDigest = manifestDigest
        self.headersDigest = headersDigest
        self.modules = modules
        self.evaluation = evaluation
    }

    var record: RecordFormat {
        var record = RecordFormat()
        record.append("state", state.rawValue)
        record.append("build", build)
        record.append("time", String(time))
        record.append("elapsed", String(elapsedSeconds))
        record.appendIfPresent("reason", reason)
        record.append("evaluation", evaluation)
        record.append("source-sha256", sourceDigest)
        record.append("manifest-sha256", manifestDigest)
        record.append("headers-sha256", headersDigest)
        record.append("source-stamp", sourceStamp)
        record.append("headers-stamp", headersStamp)
        for module in modules { record.append("module", "\(module.name) \(module.digest)") }
        return record
    }

    public init(_ record: RecordFormat, file: FilePath) throws(StateError) {
        func required(_ key: String) throws(StateError) -> String { try record.required(key, file: file) }
        guard let state = BuildState(rawValue: try required("state")) else {
            throw .malformedRecord(file: file.string, line: 1, reason: "unknown state '\(record.value("state") ?? "")'")
        }
        var modules = [BuiltModule]()
        for entry in record.values("module") {
            let parts = entry.split(separator: " ")
            guard parts.count == 2 else {
                throw .malformedRecord(file: file.string, line: 0, reason: "module entry '\(entry)' is not 'NAME SHA256'")
            }
            modules.append(BuiltModule(name: String(parts[0]), digest: String(parts[1])))
        }
        self.init(
            state: state, build: try required("build"), time: Int(record.value("time") ?? "") ?? 0,
            elapsedSeconds: Double(record.value("elapsed") ?? "") ?? 0, reason: record.value("reason"),
            sourceDigest: record.value("source-sha256") ?? "", manifestDigest: record.value("manifest-sha256") ?? "",
            headersDigest: record.value("headers-sha256") ?? "", modules: modules,
            evaluation: record.value("evaluation") ?? "native")
        sourceStamp = record.value("source-stamp") ?? ""
        headersStamp = record.value("headers-stamp") ?? ""
    }
}

import BuildRunner
import DKMSConf
import StateStore
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `kmodmgr add`: registers a package version whose source has a dkms.conf.
public enum Registration {
    public struct Added: Sendable {
        public let name: String
        public let version: String
        /// The registered source directory, as seen inside the root.
        public let source: String
        /// Whether the source was copied into the source tree (it was given from elsewhere).
        public let copied: Bool
    }

    /// Registers `argument`: a directory holding a dkms.conf (copied to `<source tree>/<name>-<version>` unless it
    /// is already there), that dkms.conf itself (`DIR/dkms.conf`, as DKMS takes it), or `NAME/VERSION` of
    /// `<source tree>/<name>-<version>`.
    public static func add(_ argument: String, force: Bool, workingDirectory: FilePath, context: LifecycleContext)
        async throws(LifecycleError) -> Added
    {
        let given = FilePath(argument).isAbsolute ? FilePath(argument) : workingDirectory.pushing(FilePath(argument))
        if FileTree.isDirectory(given) {
            return try await register(given.lexicallyNormalized(), named: nil, force: force, context: context)
        }
        if given.lastComponent?.string == "dkms.conf", FileTree.exists(given) {
            return try await register(given.removingLastComponent().lexicallyNormalized(), named: nil, force: force, context: context)
        }
        return try await add(try PackageReference(parsing: argument), force: force, context: context)
    }

    /// Registers `<source tree>/<name>-<version>` of `reference` (under the root, whatever the current directory).
    public static func add(_ reference: PackageReference, force: Bool, context: LifecycleContext) async throws(LifecycleError) -> Added {
        guard let version = reference.version else { throw .noSource(reference.description) }
        let directory = context.root.resolve(FilePath(context.settings.sourceTree)).appending("\(reference.name)-\(version)")
        guard FileTree.isDirectory(directory) else { throw .noSource(reference.description) }
        return try await register(directory, named: (reference.name, version), force: force, context: context)
    }

    /// Registers the source in `directory`, copied into the source tree unless it is there.
    private static func register(
        _ directory: FilePath, named: (name: String, version: String)?, force: Bool, context: LifecycleContext
    ) async throws(LifecycleError) -> Added {
        let sourceTree = context.root.resolve(FilePath(context.settings.sourceTree))
        guard FileTree.exists(directory.appending("dkms.conf")) else { throw .missingManifest(directory: directory.string) }
        let manifest = try await context.manifest(
            source: directory, release: "", arch: "", kernelSourceDirectory: "", dkmsTree: context.state.tree.directory.string,
            package: named)
        let expected = "\(manifest.name)-\(manifest.version)"
        let target = sourceTree.appending(expected)
        let copy = directory != target
        if !copy, directory.lastComponent?.string != expected {
            throw .nameMismatch(
                file: directory.appending("dkms.conf").string, declared: "\(manifest.name)/\(manifest.version)",
                expected: directory.lastComponent?.string ?? "")
        }

        let lock = try context.exclusive()
        defer { withExtendedLifetime(lock) {} }
        if (try? context.state.package(manifest.name, manifest.version)) != nil, !force {
            throw .alreadyAdded(name: manifest.name, version: manifest.version)
        }
        if copy {
            // Never replace a source tree someone else put there (a Debian package's /usr/src/NAME-VERSION)
            // without being told to.
            if FileTree.exists(target), !force { throw .sourceExists(target.string) }
            try replaceSource(target, with: directory)
        }
        let inside = "/" + String(target.string.dropFirst(context.root.path.string.count)).drop(while: { $0 == "/" })
        let record = PackageRecord(
            name: manifest.name, version: manifest.version, source: context.root.path == "/" ? target.string : inside,
            added: Int(time(nil)))
        do {
            try context.state.register(record)
        } catch {
            throw .state(error)
        }
        // Like DKMS, a failed POST_ADD is reported but does not undo the registration.
        if let script = manifest.postAdd,
            let failure = await PackageScript.postAdd.run(script, source: target, package: record, kernel: nil, context: context)
        {
            context.diagnostics.warning("POST_ADD of \(record.name)/\(record.version) failed (\(failure.how)); log: \(failure.log)")
        }
        return Added(name: record.name, version: record.version, source: record.source, copied: copy)
    }

    /// What DKMS's build and install do first: `NAME/VERSION` not registered yet whose source is in the source tree
    /// (a `*-dkms` package unpacked, never added) is added. Nil when there was nothing to add.
    public static func addIfInSourceTree(_ reference: PackageReference, context: LifecycleContext)
        async throws(LifecycleError) -> Added?
    {
        guard let version = reference.version, !FileTree.exists(context.state.tree.packageRecord(reference.name, version)) else {
            return nil
        }
        let source = context.root.resolve(FilePath(context.settings.sourceTree)).appending("\(reference.name)-\(version)")
        guard FileTree.exists(source.appending("dkms.conf")) else { return nil }
        return try await add(reference, force: false, context: context)
    }

    /// Copies `source` to `target` (dotfiles included — DKMS's `*` glob drops them), through a temp directory
    /// (`NAME.kmodmgr-tmp-PID`, see `TemporaryName`) renamed into place, so a failed copy leaves no half source tree.
    private static func replaceSource(_ target: FilePath, with source: FilePath) throws(LifecycleError) {
        let temporary = TemporaryName.make(.directoryCopy, for: target)
        do throws(SystemError) {
            try FileTree.makeDirectories(target.removingLastComponent())
            try FileTree.remove(temporary)
            try FileTree.copy(source, to: temporary)
            chmod(temporary.string, 0o755)
            FaultInjection.point("before renaming a source copy into place")
            try FileTree.remove(target)
            guard rename(temporary.string, target.string) == 0 else {
                throw SystemError("rename into place", path: target, errno: Errno(rawValue: errno))
            }
        } catch {
            try? FileTree.remove(temporary)
            throw .system(error)
        }
    }
}

import SystemPackage
import SystemSupport

/// Whether a dkms.conf that needs real shell may be evaluated by bash.
public enum ShellPolicy: Sendable {
    /// bash evaluates it as described in `ShellEvaluation`, and is killed after `timeLimit`. When kmodmgr runs as
    /// root, bash runs as `identity` (the configured build user), or as `nobody` when none is given.
    case allowed(timeLimit: Duration, identity: ProcessIdentity? = nil)
    /// Such a file is an error naming its first line that needs the shell.
    case forbidden

    /// The policy kmodmgr uses unless told otherwise: bash, for at most 10 seconds.
    public static let `default` = ShellPolicy.allowed(timeLimit: .seconds(10))
}

/// Reads a dkms.conf into a `PackageManifest` for one kernel: natively when it is assignments only, through bash
/// (contained) when it needs the shell and the policy allows it.
public enum ManifestLoader {
    /// Reads `file`, then each of `overrides` (DKMS's `/etc/dkms/NAME….conf`, read after the package's own and
    /// setting directives over it), and resolves them for `environment`'s kernel. Warnings and notes (unknown or
    /// deprecated directives, bash's stderr) go to `diagnostics`.
    public static func load(
        _ file: FilePath, overrides: [FilePath] = [], environment: ManifestEnvironment, shell: ShellPolicy,
        diagnostics: some DiagnosticSink
    ) async throws(ManifestError) -> PackageManifest {
        var extra = [(FilePath, [UInt8])]()
        for override in overrides { extra.append((override, try read(override))) }
        let evaluated = try await evaluate(
            contents: try read(file), of: file, overrides: extra, environment: environment, shell: shell, diagnostics: diagnostics)
        let resolver = ManifestResolver(
            directives: evaluated.directives, environment: environment, file: file, locations: evaluated.locations, diagnostics: diagnostics
        )
        return try resolver.resolve(evaluation: evaluated.evaluation)
    }

    /// Like `load(_:…)` for text already in memory; `file` names it in messages (and is what bash sources, should
    /// the text need the shell).
    public static func load(
        contents: [UInt8], of file: FilePath, environment: ManifestEnvironment, shell: ShellPolicy, diagnostics: some DiagnosticSink
    ) async throws(ManifestError) -> PackageManifest {
        let evaluated = try await evaluate(contents: contents, of: file, environment: environment, shell: shell, diagnostics: diagnostics)
        let resolver = ManifestResolver(
            directives: evaluated.directives, environment: environment, file: file, locations: evaluated.locations, diagnostics: diagnostics
        )
        return try resolver.resolve(evaluation: evaluated.evaluation)
    }

    /// The raw directive values `file` sets, before DKMS semantics, and how they were obtained: for tools that
    /// show a dkms.conf, and for comparing with bash.
    public static func directives(
        _ file: FilePath, environment: ManifestEnvironment, shell: ShellPolicy, diagnostics: some DiagnosticSink
    ) async throws(ManifestError) -> (values: DirectiveValues, evaluation: PackageManifest.Evaluation) {
        let evaluated = try await evaluate(
            contents: try read(file), of: file, environment: environment, shell: shell, diagnostics: diagnostics)
        return (evaluated.directives, evaluated.evaluation)
    }

    /// Whether `file` needs bash (it is more than assignments); throws when it cannot be read or is malformed.
    public static func needsShell(_ file: FilePath) throws(ManifestError) -> Bool {
        var lexer = ShellSubsetLexer(try read(file))
        do {
            _ = try lexer.assignments()
            return false
        } catch {
            if case .needsShell = error { return true }
            throw located(error, in: file)
        }
    }

    private struct Evaluated {
        let directives: DirectiveValues
        let evaluation: PackageManifest.Evaluation
        let locations: [String: SourceLocation]
    }

    /// The files' assignments, natively when every one of them is assignments only; else bash sources them all, in
    /// order, in one shell. Locations (for messages) are the package file's.
    private static func evaluate(
        contents: [UInt8], of file: FilePath, overrides: [(FilePath, [UInt8])] = [], environment: ManifestEnvironment,
        shell: ShellPolicy, diagnostics: some DiagnosticSink
    ) async throws(ManifestError) -> Evaluated {
        var files = [[Assignment]]()
        for (path, text) in [(file, contents)] + overrides {
            var lexer = ShellSubsetLexer(text)
            do {
                files.append(try lexer.assignments())
            } catch {
                guard case .needsShell = error, case .allowed(let timeLimit, let identity) = shell else { throw located(error, in: path) }
                let values = try await ShellEvaluation.directives(
                    of: file, overrides: overrides.map(\.0), environment: environment, timeLimit: timeLimit, identity: identity,
                    diagnostics: diagnostics)
                return Evaluated(directives: values, evaluation: .shell, locations: [:])
            }
        }
        var variables = ShellVariables(environment.shellVariables)
        for assignment in files[0] { variables.perform(assignment) }
        warnAboutUnknownDirectives(variables, file: file, diagnostics: diagnostics)
        let locations = variables.firstAssignment
        for assignments in files.dropFirst() {
            for assignment in assignments { variables.perform(assignment) }
        }
        return Evaluated(directives: DirectiveValues(from: variables), evaluation: .native, locations: locations)
    }

    /// An ALL_CAPS assignment that is no directive and that no later line uses is most likely a misspelt or
    /// unsupported directive (lime-forensics' `LOAD=no`); DKMS ignores it silently, kmodmgr says so.
    private static func warnAboutUnknownDirectives(_ variables: ShellVariables, file: FilePath, diagnostics: some DiagnosticSink) {
        let unknown = variables.firstAssignment.filter { name, _ in
            DirectiveTable.looksLikeDirective(name) && DirectiveTable.byName[name] == nil && !variables.referenced.contains(name)
        }
        for (name, location) in unknown.sorted(by: { $0.value.line < $1.value.line }) {
            diagnostics.warning("\(name) is not a dkms.conf directive; ignored", file: file, line: location.line)
        }
    }

    /// The most a dkms.conf may hold: Debian's are a few KB (the largest of the 30, 6 KB); a file a thousand times
    /// that is not a manifest, and reading it would only cost memory.
    static let sizeLimit = 1 << 20

    /// A package's file: never blocking on a FIFO, never following into a device, never more than `sizeLimit`.
    private static func read(_ file: FilePath) throws(ManifestError) -> [UInt8] {
        do {
            return try BoundedFileRead.read(file, limit: sizeLimit)
        } catch {
            switch error {
            case .system(let failure): throw ManifestError(file: file, .unreadable(failure.errno.description))
            default: throw ManifestError(file: file, .unreadable(error.description))
            }
        }
    }

    private static func located(_ failure: LexFailure, in file: FilePath) -> ManifestError {
        switch failure {
        case .needsShell(let reason, let at): ManifestError(file: file, line: at.line, column: at.column, .shellForbidden(reason: reason))
        case .syntax(let message, let at): ManifestError(file: file, line: at.line, column: at.column, .syntax(message))
        }
    }
}

import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Evaluates a dkms.conf that needs real shell, the way DKMS does (bash sources it), but contained: never in a root
/// shell. bash runs as `nobody` and its group, with no supplementary groups, when kmodmgr is root (else as the
/// calling user), in a `Sandbox` that lets it write nothing at all and ends whatever it started,
/// with an environment of exactly
/// `ManifestEnvironment.shellVariables`, in the package's source directory, with stdin empty and a time limit. It
/// prints the directives the file set with `declare -p`, and that output is read back by the same lexer as native
/// files, so no value is ever re-evaluated.
enum ShellEvaluation {
    /// The directives `file` (then each of `overrides`, in the same shell) sets when bash sources it; bash's
    /// stderr becomes notes.
    static func directives(
        of file: FilePath, overrides: [FilePath] = [], environment: ManifestEnvironment, timeLimit: Duration,
        identity requested: ProcessIdentity?, diagnostics: some DiagnosticSink
    ) async throws(ManifestError) -> DirectiveValues {
        let path = absolute(file)
        let command: [String] = ["/bin/bash", "--noprofile", "--norc", "-c", script(sourcing: [path] + overrides.map(absolute))]
        // Never as root: the requested build user, else nobody. A non-root caller is already unprivileged.
        var identity: ProcessIdentity?
        if ProcessIdentity.canSwitchUser {
            guard let unprivileged = requested ?? ProcessIdentity.account(named: "nobody") else {
                throw ManifestError(file: file, .shellUnavailable("there is no 'nobody' account to run bash as"))
            }
            identity = unprivileged
        }
        var directory = path
        directory.removeLastComponent()
        let request = ProcessRequest(
            executable: FilePath(command[0]), arguments: Array(command.dropFirst()), environment: environment.shellVariables,
            workingDirectory: directory, identity: identity, timeLimit: timeLimit,
            sandbox: identity.map { _ in Sandbox(writableDirectory: nil, readDirectory: directory, privateTemporaryDirectory: false) })
        let result: CapturedProcess
        do {
            result = try await ProcessRunner.capture(request, limit: 4 << 20)
        } catch {
            throw ManifestError(file: file, .shellUnavailable(error.description))
        }
        let errorLines = String(decoding: result.standardError, as: UTF8.self).split(separator: "\n").map(String.init)
        for line in errorLines.prefix(maximumForwardedLines) where !line.isEmpty {
            diagnostics.note("bash: \(line)", file: file)
        }
        switch result.termination {
        case .exited(0): break
        case .timedOut(let limit): throw ManifestError(file: file, .shellTimedOut(limit))
        default: throw ManifestError(file: file, .shellFailed(how: result.termination.description, detail: errorLines.last ?? ""))
        }
        var lexer = ShellSubsetLexer(result.standardOutput)
        var variables = ShellVariables([:])
        do {
            for assignment in try lexer.assignments() { variables.perform(assignment) }
        } catch {
            throw ManifestError(file: file, .unexpectedShellOutput("\(error)"))
        }
        return DirectiveValues(from: variables)
    }

    /// At most this many lines of a file's stderr become notes; the rest would only flood the output.
    private static let maximumForwardedLines = 20

    /// The bash program. stdout carries only the `declare -p` lines, through descriptor 3, which the file does not
    /// get; what the file itself prints on stdout is dropped (ipt-netflow's `pushd`/`popd` print the directory stack
    /// on every evaluation: noise on every command's terminal). Its stderr — where a package explains itself, as
    /// ddcci's "BACKLIGHT_CLASS_DEVICE disabled in this kernel" — becomes notes.
    static func script(sourcing paths: [FilePath]) -> String {
        """
        exec 3>&1 1>/dev/null
        \(paths.map { ". \(shellQuoted($0.string)) 3>&-" }.joined(separator: "\n"))
        for kmodmgr_directive in \(DirectiveTable.names.joined(separator: " ")); do
            if builtin declare -p "$kmodmgr_directive" >/dev/null 2>&1; then builtin declare -p "$kmodmgr_directive" >&3; fi
        done
        exit 0
        """
    }

    /// `file` made absolute against the working directory, so that `BASH_SOURCE` names the real file.
    private static func absolute(_ file: FilePath) -> FilePath {
        if file.isAbsolute { return file.lexicallyNormalized() }
        guard let cwd = getcwd(nil, 0) else { return file }
        defer { free(cwd) }
        return FilePath(String(cString: cwd)).pushing(file).lexicallyNormalized()
    }
}

/// One problem in a kernel's build pipeline: what is wrong, what it will cause, and how to fix it.
///
/// Findings are data (`kmodmgr doctor --json` prints them as they are); the CLI renders them. `code` is stable
/// for scripts; the texts are for people.
public struct Finding: Error, Sendable, Hashable, Encodable {
    /// Where in the pipeline the problem is, in the order a build meets them.
    public enum Stage: String, Sendable, Hashable, Encodable, CaseIterable {
        case headers, buildTree = "build-tree", compiler, release, buildUser = "build-user", package
    }

    /// `fatal`: a build cannot succeed, or its module will not load; the preflight stops the build. `warning`:
    /// something that may go wrong, or goes right only by a rule worth knowing.
    public enum Severity: String, Sendable, Hashable, Encodable {
        case fatal, warning
    }

    /// The kind of problem, by a stable name (`missing-linker-script`) that kmodmgr(8) DIAGNOSTICS lists.
    public enum Code: String, Sendable, Hashable, Encodable, CaseIterable {
        case archMismatch = "arch-mismatch"
        case buildLinkLoop = "build-link-loop"
        case buildLinkNotDirectory = "build-link-not-directory"
        case buildUserCannotReach = "build-user-cannot-reach"
        case compilerVersionDiffers = "compiler-version-differs"
        case danglingBuildLink = "dangling-build-link"
        case foreignHostTool = "foreign-host-tool"
        case includeOutsideRoot = "include-outside-root"
        case manifestInvalid = "manifest-invalid"
        case missingAutoConf = "missing-auto-conf"
        case missingAutoconfH = "missing-autoconf-h"
        case missingBuildDependency = "missing-build-dependency"
        case missingCompiler = "missing-compiler"
        case missingCrossBinutils = "missing-cross-binutils"
        case missingCrossCompiler = "missing-cross-compiler"
        case missingFixdep = "missing-fixdep"
        case missingGenksyms = "missing-genksyms"
        case missingKernelSourceDir = "missing-kernel-source-dir"
        case missingLinkerScript = "missing-linker-script"
        case missingModpost = "missing-modpost"
        case missingModuleSymvers = "missing-module-symvers"
        case missingUtsreleaseH = "missing-utsrelease-h"
        case noHeaders = "no-headers"
        case noMakefile = "no-makefile"
        case packageExcluded = "package-excluded"
        case releaseMismatch = "release-mismatch"
        case unknownArch = "unknown-arch"
    }

    public let stage: Stage
    public let severity: Severity
    public let code: Code
    /// The file, program or package it is about.
    public let subject: String
    /// What is wrong.
    public let problem: String
    /// What it will cause if nothing is done.
    public let consequence: String
    /// What to do about it.
    public let fix: String

    public init(
        stage: Stage, severity: Severity, code: Code, subject: String, problem: String, consequence: String, fix: String
    ) {
        self.stage = stage
        self.severity = severity
        self.code = code
        self.subject = subject
        self.problem = problem
        self.consequence = consequence
        self.fix = fix
    }

    public var isFatal: Bool { severity == .fatal }

    /// The finding as one line, as a failed build reports it: `problem: consequence; fix: …`.
    public var line: String { "\(problem): \(consequence); fix: \(fix)" }
}

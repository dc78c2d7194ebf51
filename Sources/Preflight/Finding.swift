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

    public let stage: Stage
    public let severity: Severity
    /// A stable name for the kind of problem (`missing-linker-script`), listed in kmodmgr(8) DIAGNOSTICS.
    public let code: String
    /// The file, program or package it is about.
    public let subject: String
    /// What is wrong.
    public let problem: String
    /// What it will cause if nothing is done.
    public let consequence: String
    /// What to do about it.
    public let fix: String

    public init(
        stage: Stage, severity: Severity, code: String, subject: String, problem: String, consequence: String, fix: String
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

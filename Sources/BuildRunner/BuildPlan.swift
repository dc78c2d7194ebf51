import SystemPackage
import SystemSupport

/// One step of a build: a process and whether the build stops when it fails.
public struct BuildStep: Sendable, Hashable {
    /// What the log calls it: `patch fix.diff`, `PRE_BUILD`, `make`, `POST_BUILD`.
    public let name: String
    public let request: ProcessRequest

    public init(name: String, request: ProcessRequest) {
        self.name = name
        self.request = request
    }
}

/// A whole build as a value — every argv, environment and directory decided before anything runs, so the log says
/// exactly what ran and a test can inspect a plan without running it.
public struct BuildPlan: Sendable, Hashable {
    /// Lines written at the top of the log (package, kernel, compiler…).
    public let header: [String]
    public let steps: [BuildStep]
    /// How long the whole build may take; each step gets what is left of it (nil: no limit).
    public let timeLimit: Duration?

    public init(header: [String], steps: [BuildStep], timeLimit: Duration? = nil) {
        self.header = header
        self.steps = steps
        self.timeLimit = timeLimit
    }
}

/// How one step ended.
public struct StepOutcome: Sendable {
    public let name: String
    public let commandLine: String
    public let termination: ProcessTermination
    public let elapsed: Duration
}

/// What running a plan came to; the full output is in `logFile`.
public struct BuildLog: Sendable {
    public let outcomes: [StepOutcome]
    public let logFile: FilePath
    public let elapsed: Duration

    /// The step that stopped the build, if one did.
    public var failedStep: StepOutcome? { outcomes.first { !$0.termination.succeeded } }
    public var succeeded: Bool { failedStep == nil }
}

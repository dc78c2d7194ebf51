/// Why a package's build for one kernel failed, and where to read more: kmodmgr's own preflight finding (no log,
/// make never ran), a kernel or manifest that cannot be built against, or a step that failed (its log, the log's
/// last lines, and one line of diagnosis when the log shows a known signature).
public struct BuildFailure: Sendable, Equatable {
    public let reason: String
    public let log: String?
    public let tail: [String]
    public let diagnosis: String?

    public init(reason: String, log: String? = nil, tail: [String] = [], diagnosis: String? = nil) {
        self.reason = reason
        self.log = log
        self.tail = tail
        self.diagnosis = diagnosis
    }
}

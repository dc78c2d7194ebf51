/// What long commands tell while they run, for the CLI to show: a live line per running build on a terminal,
/// and each package's result as soon as it is known (a failure a minute into an autoinstall is not kept for the
/// end). Lifecycle only reports; rendering is the CLI's.
public protocol ProgressReporter: Sendable {
    /// A build began; its output goes to `log` (a path on this machine) as it runs.
    func buildStarted(package: String, release: String, log: String)
    func buildFinished(package: String, release: String)
    /// One package's result for one kernel, final.
    func resultReady(_ result: Installing.KernelResult)
}

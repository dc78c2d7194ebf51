import BuildRunner
import DKMSConf
import StateStore
import Synchronization
import SystemPackage
import SystemSupport

/// The dkms.conf scripts that run around registration, install and uninstall: `POST_ADD`, `PRE_INSTALL`,
/// `POST_INSTALL`, `POST_REMOVE`. DKMS runs them as root from the package's source directory. They are code a
/// third party ships, run from package-manager hooks, so kmodmgr runs them as the build user, in the build sandbox
/// that may write only the source directory (own PID and mount namespaces, everything else read-only, private
/// `/tmp`), with the variables DKMS gives them (`module`, `module_version`, and for the install scripts `kernelver`
/// and `arch`), each logged to `<state>/<name>/<version>/log/<script>[-<kver>-<arch>].log`. What a module package
/// legitimately does there (write a file beside its source, check the kernel) works; changing the system does not.
enum PackageScript: String, Sendable {
    case postAdd = "POST_ADD"
    case preInstall = "PRE_INSTALL"
    case postInstall = "POST_INSTALL"
    case postRemove = "POST_REMOVE"

    /// The script in `manifest`, if it sets one.
    func command(in manifest: PackageManifest) -> String? {
        switch self {
        case .postAdd: manifest.postAdd
        case .preInstall: manifest.preInstall
        case .postInstall: manifest.postInstall
        case .postRemove: manifest.postRemove
        }
    }

    /// A script that failed: how it ended and where its log is.
    struct Failure: Error, Sendable {
        let how: String
        let log: String
    }

    /// Runs `command` (a path below `source`, as DKMS runs it) for `package`, for a kernel when given.
    func run(
        _ command: String, source: FilePath, package: PackageRecord, kernel: (release: String, arch: String)?,
        context: LifecycleContext
    ) async -> Failure? {
        let logName = String(rawValue.lowercased().map { $0 == "_" ? "-" : $0 }) + (kernel.map { "-\($0.release)-\($0.arch)" } ?? "")
        let log = context.state.tree.packageLog(package.name, package.version, script: logName)
        var environment = [
            "PATH": BuildSearchPath.variable, "LC_ALL": "C", "HOME": "/nonexistent", "PWD": source.string,
            "module": package.name, "module_version": package.version,
        ]
        if let kernel {
            environment["kernelver"] = kernel.release
            environment["arch"] = kernel.arch
        }
        let step = BuildStep(
            name: rawValue,
            request: ProcessRequest(
                executable: BuildPlanning.bash, arguments: ["-c", shellQuoted(source.string) + "/" + command], environment: environment,
                workingDirectory: source, identity: context.buildIdentity, timeLimit: context.settings.buildTimeLimit,
                sandbox: context.buildIdentity.map { _ in Sandbox(writableDirectory: source, readDirectory: source) }))
        let header = "\(rawValue) of \(package.name)/\(package.version)" + (kernel.map { " for \($0.release) (\($0.arch))" } ?? "")
        do {
            try FileTree.makeDirectories(log.removingLastComponent())
            let result = try await BuildRunner.run(BuildPlan(header: [header], steps: [step]), logFile: log)
            return result.failedStep.map { Failure(how: $0.termination.description, log: log.string) }
        } catch {
            return Failure(how: "could not run: \(error)", log: log.string)
        }
    }
}

/// The `POST_REMOVE` scripts of the uninstalls a command committed, run once the command's transactions are done
/// (`Reindexing.finishCommand`): an uninstall is a synchronous journaled step, and the script must not run inside
/// it. The manifest is read when the uninstall commits, before an unbuild can delete it.
final class PostRemoveDemand: Sendable {
    struct Pending: Sendable {
        let command: String
        let source: FilePath
        let package: PackageRecord
        let release: String
        let arch: String
    }

    private let pending = Mutex<[Pending]>([])

    func note(_ item: Pending) { pending.withLock { $0.append(item) } }

    /// Runs every noted script once, in the order noted; a failure is a warning naming the log.
    func runAll(context: LifecycleContext) async {
        let items = pending.withLock { items in
            defer { items.removeAll() }
            return items
        }
        for item in items {
            if let failure = await PackageScript.postRemove.run(
                item.command, source: item.source, package: item.package, kernel: (item.release, item.arch), context: context)
            {
                context.diagnostics.warning(
                    "POST_REMOVE of \(item.package.name)/\(item.package.version) for \(item.release) failed (\(failure.how)); log: \(failure.log)"
                )
            }
        }
    }
}

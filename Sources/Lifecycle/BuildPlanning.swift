import BuildRunner
import DKMSConf
import Kernels
import Preflight
import SystemPackage
import SystemSupport

/// Turns a manifest and a kernel into the `BuildPlan` that builds it: patches, `PRE_BUILD`, the make command,
/// `POST_BUILD` — each with an exact environment, in the scratch build directory, as the build user.
enum BuildPlanning {
    static let bash: FilePath = "/bin/bash"

    static func plan(
        manifest: PackageManifest, kernel: Kernel, preflight: PreflightReport? = nil, buildDirectory: FilePath, jobs: Int,
        identity: ProcessIdentity?, timeLimit: Duration? = nil
    ) -> BuildPlan {
        let toolchain = preflight?.toolchain
        let cross = crossVariables(toolchain)
        let make = makeCommand(manifest.make, kernel: kernel, jobs: jobs, cross: cross)
        var environment = self.environment(manifest: manifest, kernel: kernel, jobs: jobs).merging(make.environment) { $1 }
        // In the environment too, for commands that are not a plain `make …` (kbuild reads ARCH and CROSS_COMPILE
        // from it) and for scripts.
        for (name, value) in cross { environment[name] = value }
        // Makefiles use $(PWD) for M= (dm-writeboost); a shell would set it, make run directly does not.
        environment["PWD"] = buildDirectory.string
        func step(_ name: String, _ executable: FilePath, _ arguments: [String]) -> BuildStep {
            BuildStep(
                name: name,
                request: ProcessRequest(
                    executable: executable, arguments: arguments, environment: environment,
                    workingDirectory: buildDirectory, identity: identity,
                    sandbox: identity == nil
                        ? nil : Sandbox(writableDirectory: buildDirectory, readDirectory: FilePath(kernel.buildDirectory))))
        }
        var steps = [BuildStep]()
        for patch in manifest.patches {
            steps.append(
                step("patch \(patch)", "/usr/bin/patch", ["-p1", "-i", buildDirectory.appending("patches").appending(patch).string]))
        }
        // Scripts are paths relative to the build directory, with arguments (DKMS runs "$build_dir/$PRE_BUILD").
        // The directory is quoted (a root may hold blanks); the script's own words are the package's command line.
        let directory = shellQuoted(buildDirectory.string)
        if let preBuild = manifest.preBuild { steps.append(step("PRE_BUILD", bash, ["-c", "\(directory)/\(preBuild)"])) }
        steps.append(step("make", make.executable, make.arguments))
        if let postBuild = manifest.postBuild { steps.append(step("POST_BUILD", bash, ["-c", "\(directory)/\(postBuild)"])) }
        let header = [
            "kmodmgr \(kmodmgrVersion): build of \(manifest.name)/\(manifest.version) for \(kernel.release) (\(kernel.arch))",
            "kernel headers: \(kernel.buildDirectory)",
            "kernel compiler: \(kernel.compiler ?? "unknown")"
                + (toolchain.map { ", run as \($0.compiler)" + ($0.crossCompile.map { " (cross, \($0))" } ?? "") } ?? ""),
            "dkms.conf evaluated by: \(manifest.evaluation.rawValue)",
            "preflight: " + (preflight.map(preflightSummary) ?? "not run"),
            "sandbox: "
                + (identity == nil
                    ? "none (kmodmgr is not root)"
                    : "own PID and mount namespaces, private /tmp, read-only but \(buildDirectory), each step's processes ended with it"),
            "time limit: " + (timeLimit.map { "\($0.components.seconds) s for the whole build" } ?? "none"),
            "environment: " + environment.keys.sorted().map { "\($0)=\(environment[$0]!)" }.joined(separator: " "),
        ]
        return BuildPlan(header: header, steps: steps, timeLimit: timeLimit)
    }

    /// `ok in 1.84 ms`, or the findings' severities and codes (the build went on: none was fatal).
    static func preflightSummary(_ report: PreflightReport) -> String {
        let findings = report.findings.map { "\($0.severity.rawValue) \($0.code.rawValue)" }
        return (findings.isEmpty ? "ok" : findings.joined(separator: ", ")) + " in \(report.elapsed.millisecondsText) ms"
    }

    /// The variables DKMS exports to builds and scripts, plus a fixed `PATH` and locale; nothing of kmodmgr's own
    /// environment leaks in (DKMS also clears `CC`, `CFLAGS`… — here they are simply never set).
    static func environment(manifest: PackageManifest, kernel: Kernel, jobs: Int) -> [String: String] {
        [
            "PATH": BuildSearchPath.variable, "LC_ALL": "C", "HOME": "/nonexistent",
            "kernelver": kernel.release, "arch": kernel.arch, "module": manifest.name, "module_version": manifest.version,
            "kernel_source_dir": kernel.buildDirectory,
        ]
    }

    struct Command {
        let executable: FilePath
        let arguments: [String]
        let environment: [String: String]
    }

    /// DKMS's rule, kept: a command starting with the word `make` gets `-j<jobs> KERNELRELEASE=<release>` after
    /// it. Improvement: any other command gets the parallelism through `MAKEFLAGS`, so chained or wrapped makes
    /// (dahdi, jool) build in parallel too. A command with no shell syntax runs without a shell.
    /// `ARCH=` and `CROSS_COMPILE=` for building for another architecture; none for this machine's own.
    static func crossVariables(_ toolchain: Toolchain?) -> [(String, String)] {
        guard let toolchain, let kbuildArch = toolchain.kbuildArch else { return [] }
        return [("ARCH", kbuildArch)] + (toolchain.crossCompile.map { [("CROSS_COMPILE", $0)] } ?? [])
    }

    static func makeCommand(_ make: String, kernel: Kernel, jobs: Int, cross: [(String, String)] = []) -> Command {
        var command = make
        var environment = [String: String]()
        let words = make.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if words.first == "make" {
            let rest = make.drop(while: { $0 == " " || $0 == "\t" }).dropFirst(4)
            command = "make -j\(jobs) KERNELRELEASE=\(kernel.release)" + cross.map { " \($0.0)=\($0.1)" }.joined() + rest
        } else {
            environment["MAKEFLAGS"] = "-j\(jobs)"
        }
        if let plain = plainWords(command), let program = plain.first, let executable = resolve(program) {
            return Command(executable: executable, arguments: Array(plain.dropFirst()), environment: environment)
        }
        return Command(executable: bash, arguments: ["-c", command], environment: environment)
    }

    /// The words of `command` when it has no quoting, expansion or operators at all, else nil.
    static func plainWords(_ command: String) -> [String]? {
        let special: Set<Character> = [
            "'", "\"", "\\", "$", "`", ";", "&", "|", "(", ")", "<", ">", "*", "?", "[", "]", "{", "}", "~", "#", "\n",
        ]
        guard !command.contains(where: { special.contains($0) }) else { return nil }
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        return words.isEmpty ? nil : words
    }

    /// `program` looked up in the fixed search path (an absolute path is taken as is).
    static func resolve(_ program: String) -> FilePath? {
        program.hasPrefix("/") ? FilePath(program) : BuildSearchPath.find(program)
    }
}

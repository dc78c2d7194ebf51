import DKMSConf
import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

private let header = "PACKAGE_NAME=demo\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME=m\n"

/// The shell path runs bash contained: as nobody, with only the documented variables, within a time limit.
@Suite struct ShellContainmentTests {
    private func load(_ text: String, shell: ShellPolicy = .default) async throws -> (PackageManifest, [Diagnostic], TemporaryDirectory) {
        let directory = try readableTemporaryDirectory()
        let file = try writeConf(text, in: directory)
        let sink = CollectingDiagnosticSink()
        let manifest = try await ManifestLoader.load(file, environment: plainEnvironment, shell: shell, diagnostics: sink)
        return (manifest, sink.diagnostics, directory)
    }

    @Test func forbiddenPolicyNamesTheFirstShellLine() async throws {
        let directory = try readableTemporaryDirectory()
        let file = try writeConf(header + "# fine\nif true; then\n  MAKE=x\nfi\n", in: directory)
        await #expect(throws: ManifestError(file: file, line: 5, column: 1, .shellForbidden(reason: "the command 'if'"))) {
            try await ManifestLoader.load(file, environment: plainEnvironment, shell: .forbidden, diagnostics: CollectingDiagnosticSink())
        }
        #expect(try ManifestLoader.needsShell(file))
    }

    /// The error loading `text` from a real file gives, or nil when it loads.
    private func shellError(_ text: String, shell: ShellPolicy = .default) async throws -> ManifestError? {
        let directory = try readableTemporaryDirectory()
        let file = try writeConf(text, in: directory)
        do {
            _ = try await ManifestLoader.load(file, environment: plainEnvironment, shell: shell, diagnostics: CollectingDiagnosticSink())
            return nil
        } catch {
            return error
        }
    }

    /// The loop ends only because coreutils' `timeout` killed it (exit 124/137 is what `.shellTimedOut` is made
    /// from). No wall-clock bound here: under the full parallel suite the resumption of this task can wait a long
    /// time for a free thread, which says nothing about the limit.
    @Test func endlessLoopHitsTheTimeLimit() async throws {
        let error = try await shellError(header + "while :; do :; done\n", shell: .allowed(timeLimit: .seconds(1)))
        #expect(error?.kind == .shellTimedOut(.seconds(1)))
    }

    @Test func nonZeroExitIsAnError() async throws {
        let error = try await shellError(header + "echo broken >&2; exit 3\n")
        #expect(error?.kind == .shellFailed(how: "exit status 3", detail: "broken"))
        #expect(error?.description.hasSuffix("dkms.conf: bash evaluating dkms.conf ended with exit status 3: broken") == true)
    }

    @Test func environmentHoldsOnlyTheDocumentedVariables() async throws {
        setenv("SSH_AUTH_SOCK", "/tmp/agent.secret", 1)
        setenv("HOME", "/root", 1)
        let (manifest, _, _) = try await load(
            header + "MAKE=\"$(env | cut -d= -f1 | sort | tr '\\n' ' ')\"\nCLEAN=\"[$HOME][$SSH_AUTH_SOCK]\"\n")
        #expect(manifest.evaluation == .shell)
        let documented = Set(plainEnvironment.shellVariables.keys)
        #expect(
            documented == [
                "PATH", "LC_ALL", "kernelver", "arch", "kernel_source_dir", "kernel_config", "dkms_tree", "source_tree", "install_tree",
                "module", "module_version", "parallel_jobs",
            ])
        // bash itself exports PWD, SHLVL and _ to its children.
        #expect(Set(manifest.make.split(separator: " ").map(String.init)) == documented.union(["PWD", "SHLVL", "_"]))
        #expect(manifest.clean == "[][]")
    }

    @Test(.enabled(if: ProcessIdentity.canSwitchUser, "dropping privileges needs root"))
    func runsAsNobodyAndCannotWrite() async throws {
        let marker = "kmodmgr-test-\(UInt64.random(in: 0...UInt64.max))"
        let text =
            header + """
                touch "$PWD/\(marker)" 2>/dev/null
                touch /root/\(marker) 2>/dev/null
                MAKE="$(id -un):$(id -G)"
                CLEAN="$PWD"
                """
        let (manifest, _, directory) = try await load(text)
        #expect(manifest.make == "nobody:\(ProcessIdentity.account(named: "nobody")!.groupID)")
        #expect(manifest.clean == directory.url.path)
        #expect(!FileManager.default.fileExists(atPath: directory.path(marker).path))
        #expect(!FileManager.default.fileExists(atPath: "/root/\(marker)"))
    }

    /// nobody may still write world-writable places and start processes: in the sandbox, `/tmp` and `/var/tmp` are
    /// not the system's, and a process left running ends with the evaluation.
    @Test(.enabled(if: ProcessIdentity.canSwitchUser, "namespaces need root"))
    func leavesNothingWrittenOrRunning() async throws {
        let seconds = 600_000 + Int(getpid()) % 100_000
        let text =
            header + """
                touch /tmp/kmodmgr-conf-\(seconds) /var/tmp/kmodmgr-conf-\(seconds) 2>/dev/null
                (sleep \(seconds) &)
                MAKE=ok
                """
        let (manifest, _, _) = try await load(text)
        #expect(manifest.make == "ok")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/kmodmgr-conf-\(seconds)"))
        #expect(!FileManager.default.fileExists(atPath: "/var/tmp/kmodmgr-conf-\(seconds)"))
        #expect(try run("/usr/bin/pgrep", ["-f", "sleep \(seconds)"]).status == 1, "the process dkms.conf started is still running")
    }

    @Test func declarePrintsAreReadBackExactly() async throws {
        // Values with every character bash quotes specially survive the round trip through `declare -p`.
        let text =
            header + """
                weird=$(printf 'a\\tb\\nc"d$e`f\\\\g'"'"'h')
                MAKE="$weird"
                """
        let (manifest, _, _) = try await load(text)
        #expect(manifest.make == "a\tb\nc\"d$e`f\\g'h")
        #expect(manifest.evaluation == .shell)
    }
}

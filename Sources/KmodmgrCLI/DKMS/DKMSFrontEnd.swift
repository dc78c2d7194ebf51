import Kernels
import Lifecycle
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `dkms`, served by kmodmgr: what runs when kmodmgr is started as `dkms` (the `kmodmgr-dkms` package installs
/// `/usr/sbin/dkms` as a link to it) or as `kmodmgr dkms …`. It takes DKMS 3.x command lines, does the work through
/// kmodmgr's library — never through a shell — and keeps DKMS's exit statuses where scripts test them. kmodmgr's
/// state, signing key, journal and index are the ones its own commands use, so the two front ends can be mixed.
enum DKMSFrontEnd {
    /// The DKMS version the drop-in answers for: what `dkms --version` prints and the package provides.
    static let compatibleVersion = "3.0.10"

    static func main(_ arguments: [String]) async -> Never {
        let line: DKMSCommandLine
        do {
            line = try DKMSCommandLine.parse(arguments) { word in
                FileTree.exists(ProcessEnvironment.absolute(word).appending("dkms.conf"))
            }
        } catch {
            Output.error(error.message)
            exit(error.status)
        }
        if line.printVersion {
            Output.write("dkms-\(compatibleVersion) (kmodmgr \(kmodmgrVersion))\n")
            exit(0)
        }
        // DKMS's -q sends everything to /dev/null; the drop-in keeps errors and warnings on standard error.
        Output.setQuiet(line.quiet)
        if line.quiet {
            let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
            if null >= 0 { dup2(null, 1) }
        }
        for option in line.ignored { Output.note("dkms: \(option) is accepted and ignored (see dkms(8) as served by kmodmgr)") }
        guard let action = line.action else {
            Output.error("no action given: add, build, install, uninstall, unbuild, remove, status, autoinstall, match, generate_mok")
            exit(DKMSStatus.usage)
        }
        let status: Int32
        do {
            let context = try makeContext(line)
            status = try await DKMSActions(line: line, context: context).run(action)
        } catch {
            Output.error(error.description)
            status = DKMSStatus.of(error)
        }
        fflush(nil)
        exit(status)
    }

    /// kmodmgr's context under the root (which applies what DKMS's framework.conf sets that kmodmgr has); each
    /// setting there kmodmgr does not honour is named once.
    private static func makeContext(_ line: DKMSCommandLine) throws(LifecycleError) -> LifecycleContext {
        let root = Root(FilePath(line.root ?? "/"), workingDirectory: ProcessEnvironment.currentDirectory)
        for setting in DKMSFramework.read(root: root).settings {
            if case .ignored(let why) = DKMSFramework.meaning(of: setting) {
                Output.note("\(setting.file):\(setting.line): \(setting.key) is not honoured: \(why)")
            }
        }
        var context = try LifecycleContext(root: root, diagnostics: StandardErrorDiagnostics())
        context.reportsSteps = line.verbose
        return context
    }
}

/// DKMS's exit statuses, where scripts depend on them.
enum DKMSStatus {
    static let usage: Int32 = 1
    /// DKMS 3.0.10: already added, already built, not in the tree.
    static let notInTree: Int32 = 3
    /// No dkms.conf where one was expected.
    static let noManifest: Int32 = 4
    /// An invalid dkms.conf.
    static let invalidManifest: Int32 = 8
    static let buildFailed: Int32 = 10
    static let autoinstallFailed: Int32 = 11
    /// The kernel has no headers (DKMS 3.0.11 and later; 3.0.10 says 1).
    static let noHeaders: Int32 = 21
    static let skipped: Int32 = 77

    /// The status of a lifecycle error, as DKMS would have ended.
    static func of(_ error: LifecycleError) -> Int32 {
        switch error {
        case .alreadyAdded, .notAdded: notInTree
        case .missingManifest: noManifest
        case .manifest, .nameMismatch: invalidManifest
        case .noSource: 2
        default: 1
        }
    }
}

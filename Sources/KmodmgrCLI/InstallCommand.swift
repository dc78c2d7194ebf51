import ArgumentParser
import Codecs
import DepmodIndex
import Kernels
import Lifecycle
import SystemSupport

/// `kmodmgr install`: build if needed, then install for kernels.
struct InstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Build if needed, then install a package's modules into kernels' module trees and re-index them.",
        discussion: """
            Modules are stripped, compressed the way the kernel's own modules are, and placed in \
            /lib/modules/KVER/updates/kmodmgr/ (or each module's DEST_MODULE_LOCATION with install_location=manifest), \
            each kernel as one journaled transaction. A same-named module that the new one outranks in depmod's search \
            order is left in place (overridden); one it would tie with is moved aside and restored on uninstall. \
            NAME/VERSION never added whose source is in /usr/src is added first, as DKMS does; an older version never \
            replaces a newer one installed, unless --force. PRE_INSTALL and POST_INSTALL run around each kernel's install. \
            Exit status: 0 when every kernel is installed (or already was), \(ExitStatus.skipped.rawValue) when every kernel was skipped, \(ExitStatus.buildFailed.rawValue) when \
            a build failed, 1 when an install was refused or failed.
            """)

    @OptionGroup var options: LifecycleOptions
    @OptionGroup var initramfs: InitramfsOption
    @OptionGroup var selection: PackageSelection
    @OptionGroup var kernels: KernelSelection

    @Flag(name: .long, help: "Install again even if installed, and over a same-named module with a newer version.")
    var force = false

    @Flag(name: .long, help: "Then load the modules (with dependencies) when a kernel installed for is the running one.")
    var load = false

    func validate() throws { _ = try selection.requiredReference() }

    func run() async throws {
        var context = try initramfs.context(options)
        let display = ProgressDisplay()
        context.progress = display
        let reference = try selection.requiredReference()
        let results: [Installing.KernelResult]
        do {
            defer { _ = display.stop() }
            if let added = try await Registration.addIfInSourceTree(reference, context: context) {
                Output.write("\(added.name)/\(added.version): added (source \(added.source))\n")
            }
            results = try await Installing.install(
                reference, releases: kernels.releases(root: context.root), arches: kernels.arches(root: context.root), force: force,
                context: context)
        } catch {
            throw fail(error)
        }
        if load { InstalledModuleLoading.load(results, root: context.root) }
        if results.count > 1 { Output.write(InstallReport.summary(results) + "\n") }
        try ExitStatus.of(installs: results).exit()
    }
}

/// `install --load` and `dkms install --modprobe-on-install`: each module installed for the running kernel, loaded
/// through `Loading` (LoadCheck, libkmod, live check).
enum InstalledModuleLoading {
    static func load(_ results: [Installing.KernelResult], root: Root) {
        let running = ProcessEnvironment.runningKernelRelease
        for result in results where result.release == running {
            guard case .installed(let modules, _, _) = result.outcome else { continue }
            for path in modules {
                let name = ModuleFileName.moduleName(ofFileName: path.split(separator: "/").last.map(String.init) ?? path)
                do {
                    _ = try Loading.load(name: name, file: nil, options: nil, force: false, release: running, root: root)
                    Output.write("\(name): loaded\n")
                } catch {
                    Output.error(error.description)
                }
            }
        }
    }
}

/// The lines install and autoinstall print.
enum InstallReport {
    /// The closing line: `3 installed, 1 skipped, 1 failed: broken/1.0 (6.1.0-57-amd64)`.
    static func summary(_ results: [Installing.KernelResult]) -> String {
        var installed = 0
        var skipped = 0
        var failed = [String]()
        for result in results {
            switch result.outcome {
            case .installed, .alreadyInstalled: installed += 1
            case .skipped: skipped += 1
            case .buildFailed, .failed: failed.append("\(result.package) (\(result.release))")
            }
        }
        return "\(installed) installed, \(skipped) skipped, \(failed.count) failed"
            + (failed.isEmpty ? "" : ": " + failed.joined(separator: ", "))
    }

    static func print(_ results: [Installing.KernelResult]) {
        for result in results {
            let prefix = "\(result.package), \(result.release), \(result.arch.isEmpty ? "?" : result.arch)"
            switch result.outcome {
            case .installed(let modules, let displaced, let overridden):
                var line = "\(prefix): installed (\(modules.joined(separator: ", ")))"
                if !overridden.isEmpty { line += " (overrides \(overridden.joined(separator: ", ")))" }
                if !displaced.isEmpty { line += " (moved aside \(displaced.joined(separator: ", ")))" }
                Output.write(line + "\n")
            case .alreadyInstalled:
                Output.write("\(prefix): installed (already)\n")
            case .skipped(let reason):
                Output.write("\(prefix): skipped (\(reason))\n")
            case .buildFailed(let failure):
                BuildFailureText.write(failure, prefix: prefix)
            case .failed(let reason):
                Output.error("\(prefix): \(reason)")
            }
        }
    }
}

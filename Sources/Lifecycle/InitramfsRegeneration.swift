import Initramfs
import StateStore
import SystemPackage
import SystemSupport

/// Keeps each kernel's initramfs in step with what kmodmgr installed: after the transactions of a command, a kernel
/// whose initramfs is now stale gets it regenerated once, by the generator the system has, with the output logged
/// in the state tree (`.initramfs/<kver>.log`). Stale means a boot-critical package (`REMAKE_INITRD=yes`, or
/// `initramfs_packages`) was installed or uninstalled, or a module the current image holds was replaced.
public enum InitramfsRegeneration {
    /// What regenerating one kernel's initramfs came to.
    public enum Outcome: Sendable {
        case regenerated(release: String, command: String, log: String, elapsed: Duration)
        case failed(release: String, command: String, reason: String, log: String)
        case skipped(release: String, reason: String)
    }

    /// After a command's transactions (lock held, indexes up to date): regenerates what they made stale and reports
    /// through the diagnostics; a failure is a warning — the modules are installed either way.
    static func regenerateStale(context: LifecycleContext) async {
        let stale = context.initramfsDemand.byRelease.compactMap { release, changes in
            staleness(release: release, changes: changes, context: context).map { (release, $0) }
        }
        for (release, reason) in stale.sorted(by: { $0.0 < $1.0 }) {
            guard context.regeneratesInitramfs else {
                context.diagnostics.note("\(release): initramfs not regenerated (--no-initramfs) although \(reason)")
                continue
            }
            switch await regenerate(release: release, context: context) {
            case .regenerated(_, let command, let log, let elapsed):
                context.diagnostics.note(
                    "\(release): initramfs regenerated because \(reason) (\(command), \(elapsed.secondsText) s; log \(log))")
            case .failed(_, let command, let why, let log):
                context.diagnostics.warning("\(release): initramfs regeneration failed: \(command): \(why) (log \(log))")
            case .skipped(_, let why):
                context.diagnostics.note("\(release): initramfs not regenerated although \(reason): \(why)")
            }
        }
    }

    /// `kmodmgr initramfs -k KVER…`: regenerates now, whatever changed.
    public static func regenerate(releases: [String], context: LifecycleContext) async throws(LifecycleError) -> [Outcome] {
        let lock = try context.exclusive()
        defer { withExtendedLifetime(lock) {} }
        var outcomes = [Outcome]()
        for release in releases { outcomes.append(await regenerate(release: release, context: context)) }
        return outcomes
    }

    /// The modules kmodmgr installed for `release` that belong in its initramfs, sorted: every module of a
    /// boot-critical package, and every module that replaces a module of the kernel's own (an initramfs generator
    /// copying the kernel's tree would otherwise take the replaced one). What the initramfs-tools hook and the
    /// dracut module add. Reads the state tree only: it runs inside a generator that kmodmgr itself may have started.
    public static func bootModules(release: String, context: LifecycleContext) throws(LifecycleError) -> [String] {
        var names = Set<String>()
        for (name, version) in context.state.packages() {
            for entry in context.state.kernels(name, version) where entry.release == release {
                let record: InstallRecord?
                do {
                    record = try context.state.installed(name, version, release: entry.release, arch: entry.arch)
                } catch {
                    throw .state(error)
                }
                guard let record else { continue }
                if context.settings.isBootCritical(package: name, remakeInitrd: record.bootCritical) {
                    names.formUnion(record.modules.map(\.name))
                } else {
                    let replaced = Set(record.displaced.map(\.name) + record.overridden.map(\.name))
                    names.formUnion(record.modules.map(\.name).filter(replaced.contains))
                }
            }
        }
        return names.sorted()
    }

    /// Why `release`'s initramfs is stale after `changes`, or nil when it is not.
    private static func staleness(release: String, changes: [InitramfsDemand.Change], context: LifecycleContext) -> String? {
        if let critical = changes.first(where: \.bootCritical) { return "\(critical.package) is boot-critical" }
        guard case .use(let generator, _) = generator(context: context),
            let image = generator.imagePath(release: release, root: context.root),
            let held = try? InitramfsImage.moduleNames(at: image)
        else { return nil }
        for change in changes {
            if let name = change.moduleNames.intersection(held).sorted().first {
                return "\(change.package) replaces \(name), which the current initramfs holds"
            }
        }
        return nil
    }

    /// Which generator runs, from the setting and what the root has installed.
    private enum Choice {
        /// The generator and its executable, as a path inside the root.
        case use(InitramfsGenerator, executable: FilePath)
        case none(reason: String)
    }

    private static func generator(context: LifecycleContext) -> Choice {
        let named: InitramfsGenerator
        switch context.settings.initramfs {
        case .never: return .none(reason: "initramfs=never in \(Settings.file)")
        case .auto:
            guard let detected = InitramfsGenerator.detect(root: context.root) else {
                return .none(reason: "no initramfs generator is installed (update-initramfs, dracut, mkinitcpio)")
            }
            named = detected
        case .updateInitramfs: named = .initramfsTools
        case .dracut: named = .dracut
        case .mkinitcpio: named = .mkinitcpio
        }
        guard let executable = named.executablePath(root: context.root) else {
            return .none(reason: "\(named.executableName) (initramfs=\(context.settings.initramfs.rawValue)) is not installed")
        }
        return .use(named, executable: executable)
    }

    private static func regenerate(release: String, context: LifecycleContext) async -> Outcome {
        let generator: InitramfsGenerator
        let executable: FilePath
        switch Self.generator(context: context) {
        case .none(let reason): return .skipped(release: release, reason: reason)
        case .use(let chosen, let path): (generator, executable) = (chosen, path)
        }
        // An image named after the kernel that does not exist yet is the kernel package's to create (its own hook
        // runs the generator after kmodmgr's); mkinitcpio's images are named after presets, so it always runs.
        if generator != .mkinitcpio && generator.imagePath(release: release, root: context.root) == nil {
            return .skipped(release: release, reason: "the kernel has no initramfs image yet; none is created")
        }
        var request = ProcessRequest(
            executable: context.root.resolve(executable), arguments: generator.arguments(release: release, root: context.root),
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"], workingDirectory: "/")
        if context.root.path != "/" {
            // The generator writes the root's /boot and reads its /lib/modules: it runs inside the root.
            request = ProcessRequest(
                executable: "/usr/sbin/chroot", arguments: [context.root.path.string, executable.string] + request.arguments,
                environment: request.environment, workingDirectory: "/")
        }
        let log = context.state.tree.initramfsLog(release: release)
        let logText = context.root.systemPath(of: log)
        do {
            let finished = try await run(request, appendingTo: log)
            guard finished.termination.succeeded else {
                return .failed(release: release, command: request.commandLine, reason: finished.termination.description, log: logText)
            }
            return .regenerated(release: release, command: request.commandLine, log: logText, elapsed: finished.elapsed)
        } catch {
            return .failed(release: release, command: request.commandLine, reason: "\(error)", log: logText)
        }
    }

    /// Runs the generator with its output appended to the kernel's initramfs log, under a header naming the command.
    private static func run(_ request: ProcessRequest, appendingTo log: FilePath) async throws -> LoggedProcess {
        try FileTree.makeDirectories(log.removingLastComponent())
        let descriptor = try FileDescriptor.open(
            log, .writeOnly, options: [.create, .append, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        defer { try? descriptor.close() }
        _ = try descriptor.writeAll(Array("\n## \(request.commandLine)\n".utf8))
        let finished = try await ProcessRunner.run(request, appendingOutputTo: descriptor)
        _ = try descriptor.writeAll(Array("## \(finished.termination) after \(finished.elapsed.secondsText) s\n".utf8))
        return finished
    }
}

import ArgumentParser
import Lifecycle
import SystemPackage

/// `kmodmgr load`: LoadCheck, then libkmod with dependencies from the index; confirms the module is live.
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load a module (with its dependencies) into the running kernel, after checking it will be accepted.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The module name or alias, as the index knows it.", valueName: "NAME"))
    var name: String?

    @Option(name: .long, help: ArgumentHelp("Load this module file by itself (no dependencies) instead.", valueName: "FILE"))
    var file: String?

    @OptionGroup var kernels: KernelSelection

    @Option(name: .long, help: ArgumentHelp("Module parameters, as modprobe takes them (\"a=1 b=2\").", valueName: "OPTIONS"))
    var options: String?

    @Flag(name: .long, help: "Offer the module to the kernel even when the check says it will be refused.")
    var force = false

    func validate() throws {
        guard (name == nil) != (file == nil) else { throw ValidationError("give a module NAME or --file FILE") }
        try kernels.requireAtMostOne("load")
        if let kernel = kernels.references.first?.release, kernel != ProcessEnvironment.runningKernelRelease {
            throw ValidationError("only the running kernel (\(ProcessEnvironment.runningKernelRelease)) can load modules, not \(kernel)")
        }
    }

    func run() throws {
        let root = global.resolvedRoot
        let path = file.map(ProcessEnvironment.absolute)
        do {
            let outcome = try Loading.load(
                name: name, file: path, options: options, force: force, release: ProcessEnvironment.runningKernelRelease, root: root)
            for taint in outcome.verdict?.taints ?? [] { Output.note("\(outcome.module): \(taint)") }
            Output.write("\(outcome.module): loaded\n")
        } catch {
            Output.error(error.description)
            throw ExitStatus.failure.error
        }
    }
}

/// `kmodmgr unload`: remove a loaded module, as rmmod.
struct UnloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unload", abstract: "Unload a module from the running kernel.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The loaded module's name.", valueName: "NAME"))
    var name: String

    func run() throws {
        do {
            try Loading.unload(name: name, release: ProcessEnvironment.runningKernelRelease, root: global.resolvedRoot)
            Output.write("\(name): unloaded\n")
        } catch {
            Output.error(error.description)
            throw ExitStatus.failure.error
        }
    }
}

import ArgumentParser
import Lifecycle

/// `kmodmgr unbuild`: forgets builds, keeps the registration.
struct UnbuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unbuild", abstract: "Remove what was built for some kernels (-k) or all (--all); keep the package added.")

    @OptionGroup var options: LifecycleOptions
    @OptionGroup var selection: PackageSelection

    @OptionGroup var kernels: KernelsOrAll

    func validate() throws { _ = try selection.requiredReference() }

    func run() async throws {
        let context = try options.context(diagnostics: StandardErrorDiagnostics())
        let reference = try selection.requiredReference()
        do {
            let removed = try Unbuilding.unbuild(reference, kernels: kernels.references, context: context)
            for entry in removed { Output.write("\(reference), \(entry.release), \(entry.arch): unbuilt\n") }
            if removed.isEmpty { Output.note("\(reference): nothing built for the kernels given") }
        } catch {
            throw fail(error)
        }
    }
}

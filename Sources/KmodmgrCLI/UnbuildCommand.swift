import ArgumentParser
import Lifecycle
import StateStore

/// `kmodmgr unbuild`: forgets builds, keeps the registration.
struct UnbuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unbuild", abstract: "Remove what was built for some kernels (-k) or all (--all); keep the package added.",
        discussion: """
            What is installed from those builds is uninstalled first. With --all-packages instead of a package, every \
            package's builds for the kernels given (-k) go: what the kernel hooks run for a kernel being removed.
            """)

    @OptionGroup var options: LifecycleOptions
    @OptionGroup var initramfs: InitramfsOption
    @OptionGroup var selection: PackageSelection

    @Flag(name: .customLong("all-packages"), help: "Every registered package (with -k only).")
    var allPackages = false

    @OptionGroup var kernels: KernelSelection

    func validate() throws {
        try kernels.requireKernelsOrAll()
        guard allPackages else {
            _ = try selection.requiredReference()
            return
        }
        if try selection.reference() != nil { throw ValidationError("give NAME/VERSION or --all-packages, not both") }
        if kernels.allKernels { throw ValidationError("--all-packages needs -k KVER: every build of every package is `remove`") }
    }

    func run() async throws {
        let context = try initramfs.context(options)
        guard !allPackages else {
            let removed: [(package: String, entry: KernelEntry)]
            do {
                removed = try await Unbuilding.unbuildEveryPackage(kernels: kernels.filter, context: context)
            } catch {
                throw fail(error)
            }
            for (package, entry) in removed { Output.write("\(package), \(entry.release), \(entry.arch): unbuilt\n") }
            if removed.isEmpty { Output.note("nothing built for the kernels given") }
            return
        }
        let reference = try selection.requiredReference()
        do {
            let removed = try await Unbuilding.unbuild(reference, kernels: kernels.filter, context: context)
            for entry in removed { Output.write("\(reference), \(entry.release), \(entry.arch): unbuilt\n") }
            if removed.isEmpty { Output.note("\(reference): nothing built for the kernels given") }
        } catch {
            throw fail(error)
        }
    }
}

import ArgumentParser
import Lifecycle
import SystemPackage
import SystemSupport

/// Options of the commands that change or read the state tree: the global ones, and what to do when another
/// kmodmgr holds the state lock. `-v` is DKMS's `-v VERSION` in these commands (`PackageSelection`).
struct LifecycleOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("no-wait"), help: "Fail at once if another kmodmgr holds the state lock, instead of waiting.")
    var noWait = false

    var resolvedRoot: Root { global.resolvedRoot }

    /// The lifecycle context under the root, or a one-line error and exit 1.
    func context(diagnostics: StandardErrorDiagnostics) throws -> LifecycleContext {
        do {
            var context = try LifecycleContext(root: resolvedRoot, diagnostics: diagnostics)
            context.contention = noWait ? .fail : .wait
            context.reportsSteps = global.verbose
            return context
        } catch {
            throw fail(error)
        }
    }
}

/// The package a command is about: `NAME/VERSION` as an argument, or DKMS's `-m NAME [-v VERSION]`.
struct PackageSelection: ParsableArguments {
    @Argument(
        help: ArgumentHelp("The package, as NAME/VERSION (or NAME: its newest version).", valueName: "NAME/VERSION"),
        completion: .custom(Completions.packages))
    var package: String?

    @Option(
        name: .customShort("m"), help: ArgumentHelp("The package name (DKMS spelling; NAME/VERSION also accepted).", valueName: "NAME"),
        completion: .custom(Completions.packages))
    var module: String?

    @Option(name: .customShort("v"), help: ArgumentHelp("The package version (DKMS spelling).", valueName: "VERSION"))
    var version: String?

    /// The selection, or nil when nothing was given (allowed where every package is meant).
    func reference() throws -> PackageReference? {
        if package != nil && module != nil { throw ValidationError("give NAME/VERSION or -m NAME, not both") }
        guard let text = package ?? module else {
            if version != nil { throw ValidationError("-v VERSION needs -m NAME") }
            return nil
        }
        do {
            let parsed = try PackageReference(parsing: text)
            if let version {
                guard parsed.version == nil || parsed.version == version else {
                    throw ValidationError("-v \(version) disagrees with \(text)")
                }
                return try PackageReference(parsing: "\(parsed.name)/\(version)")
            }
            return parsed
        } catch let error as LifecycleError {
            throw ValidationError(error.description)
        }
    }

    func requiredReference() throws -> PackageReference {
        guard let reference = try reference() else { throw ValidationError("which package? give NAME/VERSION or -m NAME -v VERSION") }
        return reference
    }
}

/// Prints `error` as one line and gives the exit status for it.
func fail(_ error: LifecycleError) -> ExitCode {
    Output.error(error.description)
    return ExitStatus.failure.code
}

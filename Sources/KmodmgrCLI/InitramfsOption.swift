import ArgumentParser
import Lifecycle

/// `--no-initramfs`, on the commands whose transactions can make an initramfs stale (install, uninstall, unbuild,
/// remove, autoinstall). The kernel hooks pass it where the system's own generator runs right after them.
struct InitramfsOption: ParsableArguments {
    @Flag(
        name: .customLong("no-initramfs"),
        help: "Do not regenerate initramfs images this command makes stale (say so instead); for hooks that run before the generator.")
    var skip = false

    /// The lifecycle context of `options`, regenerating stale images unless `--no-initramfs`.
    func context(_ options: LifecycleOptions) throws -> LifecycleContext {
        var context = try options.context(diagnostics: StandardErrorDiagnostics())
        context.regeneratesInitramfs = !skip
        return context
    }
}

import SystemPackage
import SystemSupport

/// What a failed build's log says in known words, for builds that fail although the preflight passed (a package
/// Makefile that names its own compiler, a header the check does not know about…): one line of diagnosis shown
/// above the log's tail. The first signature found, in this order, wins.
public enum FailureSignatures {
    struct Signature {
        let marks: [String]
        let diagnosis: String
    }

    static let signatures: [Signature] = [
        Signature(
            marks: ["cannot open linker script file"],
            diagnosis:
                "the linker script for modules is missing from the build tree (scripts/module.lds or arch/ARCH/module.lds): reinstall the headers, or run `make modules_prepare` in the kernel source tree"
        ),
        Signature(
            marks: ["Syntax error: \"(\" unexpected", "cannot execute binary file", "Exec format error"],
            diagnosis:
                "a program of the build tree (scripts/basic/fixdep, scripts/mod/modpost…) was built for another machine: run `make scripts` in the tree, or use headers built for this machine"
        ),
        Signature(
            marks: ["fixdep: not found", "fixdep: No such file", "modpost: not found", "modpost: No such file"],
            diagnosis:
                "the build tree's host programs (fixdep, modpost) are missing: reinstall the headers' kbuild package, or run `make modules_prepare` in the kernel source tree"
        ),
        Signature(
            marks: ["unrecognized command-line option", "unrecognized command line option", "unknown argument:"],
            diagnosis:
                "the compiler does not know a flag the kernel was built with: build with the kernel's own compiler (kmodmgr doctor names it)"
        ),
        Signature(
            marks: ["No rule to make target"],
            diagnosis:
                "make found no rule for a file the build needs: the package's Makefile names a module or source it does not build, or the build tree is incomplete (kmodmgr doctor)"
        ),
        Signature(
            marks: ["undefined!"],
            diagnosis:
                "modpost found symbols nothing provides (\"undefined!\"): the kernel's Module.symvers is missing, or a module this one needs (BUILD_DEPENDS) was not built first"
        ),
    ]

    /// The diagnosis for the log at `path` (its last MiB is read), nil when no signature matches.
    public static func diagnose(logAt path: FilePath) -> String? {
        guard let bytes = try? FileBytes.read(path) else { return nil }
        return diagnose(log: String(decoding: bytes.suffix(1 << 20), as: UTF8.self))
    }

    public static func diagnose(log: String) -> String? {
        signatures.first { signature in signature.marks.contains { log.contains($0) } }?.diagnosis
    }
}

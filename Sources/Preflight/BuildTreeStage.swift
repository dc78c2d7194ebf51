import Kernels
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Stage 2: is the build tree complete for external modules? The files kbuild needs from a prepared tree
/// (`make modules_prepare`), each checked where kbuild will look for it — through the tree's own links, such as
/// Debian's `scripts -> ../../lib/linux-kbuild-6.1/scripts`.
enum BuildTreeStage {
    static func inspect(_ tree: FilePath, config: KernelConfig?, srcarch: String?, advice: FixAdvice) -> [Finding] {
        var findings = [Finding]()
        func missing(_ relative: String, code: String, consequence: String, severity: Finding.Severity = .fatal, target: String = "modules_prepare") {
            let file = tree.appending(relative)
            findings.append(
                Finding(
                    stage: .buildTree, severity: severity, code: code, subject: advice.root.systemPath(of: file),
                    problem: "the build tree lacks \(relative)", consequence: consequence,
                    fix: advice.forFile(wouldBe(file, root: advice.root), makeTarget: target)))
        }
        if let script = linkerScriptProblem(tree, srcarch: srcarch) {
            missing(
                script, code: "missing-linker-script",
                consequence: "linking every .ko fails (ld: cannot open linker script file; make: No rule to make target …ko)")
        }
        for (tool, code) in [("scripts/basic/fixdep", "missing-fixdep"), ("scripts/mod/modpost", "missing-modpost")] {
            let file = tree.appending(tool)
            if !FileTree.exists(file) {
                missing(tool, code: code, consequence: "make stops at once (\(tool): not found)")
            } else if let machine = ELFMachine.ofExecutable(file), machine != ELFMachine.host {
                findings.append(
                    Finding(
                        stage: .buildTree, severity: .fatal, code: "foreign-host-tool", subject: advice.root.systemPath(of: file),
                        problem: "\(tool) is a program for \(ELFMachine.name(machine)), not for this \(ELFMachine.name(ELFMachine.host)) machine",
                        consequence: "make fails when it runs it (Exec format error, or sh: Syntax error: \"(\" unexpected)",
                        fix: "rebuild the tree's host programs here: in \(advice.buildTree), `make scripts` (or install the headers and kbuild packages built for this machine)"))
            }
        }
        let modversions = config?.isEnabled("CONFIG_MODVERSIONS") ?? false
        if modversions && !FileTree.exists(tree.appending("scripts/genksyms/genksyms")) {
            missing(
                "scripts/genksyms/genksyms", code: "missing-genksyms",
                consequence: "a module that exports symbols fails to build (symbol versions are made by genksyms)", severity: .warning)
        }
        for (file, code) in [
            ("include/generated/autoconf.h", "missing-autoconf-h"), ("include/config/auto.conf", "missing-auto-conf"),
            ("include/generated/utsrelease.h", "missing-utsrelease-h"),
        ] where !FileTree.exists(tree.appending(file)) {
            missing(file, code: code, consequence: "make stops before compiling (the tree is not configured and prepared)")
        }
        if modversions && !FileTree.exists(tree.appending("Module.symvers")) {
            missing(
                "Module.symvers", code: "missing-module-symvers",
                consequence:
                    "the build \"succeeds\" with WARNING: modpost: … undefined! and no symbol versions, and this kernel (CONFIG_MODVERSIONS=y) refuses the module: no symbol version for module_layout",
                target: "modules")
        }
        return findings
    }

    /// The linker script kbuild links modules with: `scripts/module.lds`, else `arch/<SRCARCH>/module.lds`, the
    /// first that exists (`ARCH_MODULE_LDS` in `scripts/Makefile.modfinal`, Linux 5.10 and later); nil when one
    /// is there or the tree's kbuild does not use one.
    private static func linkerScriptProblem(_ tree: FilePath, srcarch: String?) -> String? {
        guard let modfinal = try? FileBytes.read(tree.appending("scripts/Makefile.modfinal")),
            String(decoding: modfinal, as: UTF8.self).contains("module.lds")
        else { return nil }
        if FileTree.exists(tree.appending("scripts/module.lds")) { return nil }
        if let srcarch, FileTree.exists(tree.appending("arch/\(srcarch)/module.lds")) { return nil }
        return srcarch.map { "arch/\($0)/module.lds" } ?? "scripts/module.lds"
    }

    /// Where a missing file would be with the tree's links resolved (what dpkg records), as far as they resolve.
    private static func wouldBe(_ file: FilePath, root: Root) -> FilePath {
        switch root.resolvingLinks(FilePath(root.systemPath(of: file))) {
        case .found(let path), .missing(let path, _): path
        case .loop: file
        }
    }
}

/// ELF machine numbers of programs, for telling whether a build tree's host programs run here.
enum ELFMachine {
    /// This machine's, from the running program's own ELF header.
    static let host: UInt16 = ofExecutable("/proc/self/exe") ?? 62

    /// The `e_machine` of the ELF file at `path`; nil for a script or an unreadable file.
    static func ofExecutable(_ path: FilePath) -> UInt16? {
        let descriptor = open(path.string, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var header = [UInt8](repeating: 0, count: 20)
        guard read(descriptor, &header, 20) == 20, header[0..<4] == [0x7F, 0x45, 0x4C, 0x46] else { return nil }
        // EI_DATA 2 = big-endian.
        return header[5] == 2 ? UInt16(header[18]) << 8 | UInt16(header[19]) : UInt16(header[19]) << 8 | UInt16(header[18])
    }

    static func name(_ machine: UInt16) -> String {
        switch machine {
        case 3: "i386"
        case 40: "ARM"
        case 62: "x86-64"
        case 183: "AArch64"
        case 243: "RISC-V"
        case 21: "PowerPC64"
        case 22: "S/390"
        default: "ELF machine \(machine)"
        }
    }
}

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
        func missing(
            _ relative: String, code: Finding.Code, consequence: String, severity: Finding.Severity = .fatal,
            target: String = "modules_prepare"
        ) {
            let file = tree.appending(relative)
            findings.append(
                Finding(
                    stage: .buildTree, severity: severity, code: code, subject: advice.root.systemPath(of: file),
                    problem: "the build tree lacks \(relative)", consequence: consequence,
                    fix: advice.forFile(wouldBe(file, root: advice.root), makeTarget: target)))
        }
        findings += includesOutsideRoot(tree, advice: advice)
        if let script = linkerScriptProblem(tree, srcarch: srcarch) {
            missing(
                script, code: .missingLinkerScript,
                consequence: "linking every .ko fails (ld: cannot open linker script file; make: No rule to make target …ko)")
        }
        for (tool, code) in [("scripts/basic/fixdep", Finding.Code.missingFixdep), ("scripts/mod/modpost", .missingModpost)] {
            let file = tree.appending(tool)
            if !FileTree.exists(file) {
                missing(tool, code: code, consequence: "make stops at once (\(tool): not found)")
            } else if let machine = ELFMachine.ofExecutable(file), machine != ELFMachine.host {
                findings.append(
                    Finding(
                        stage: .buildTree, severity: .fatal, code: .foreignHostTool, subject: advice.root.systemPath(of: file),
                        problem:
                            "\(tool) is a program for \(ELFMachine.name(machine)), not for this \(ELFMachine.name(ELFMachine.host)) machine",
                        consequence: "make fails when it runs it (Exec format error, or sh: Syntax error: \"(\" unexpected)",
                        fix:
                            "rebuild the tree's host programs here: in \(advice.buildTree), `make scripts` (or install the headers and kbuild packages built for this machine)"
                    ))
            }
        }
        let modversions = config?.isEnabled("CONFIG_MODVERSIONS") ?? false
        if modversions && !FileTree.exists(tree.appending("scripts/genksyms/genksyms")) {
            missing(
                "scripts/genksyms/genksyms", code: .missingGenksyms,
                consequence: "a module that exports symbols fails to build (symbol versions are made by genksyms)", severity: .warning)
        }
        for (file, code) in [
            ("include/generated/autoconf.h", Finding.Code.missingAutoconfH), ("include/config/auto.conf", .missingAutoConf),
            ("include/generated/utsrelease.h", .missingUtsreleaseH),
        ] where !FileTree.exists(tree.appending(file)) {
            missing(file, code: code, consequence: "make stops before compiling (the tree is not configured and prepared)")
        }
        if modversions && !FileTree.exists(tree.appending("Module.symvers")) {
            missing(
                "Module.symvers", code: .missingModuleSymvers,
                consequence:
                    "the build \"succeeds\" with WARNING: modpost: … undefined! and no symbol versions, and this kernel (CONFIG_MODVERSIONS=y) refuses the module: no symbol version for module_layout",
                target: "modules")
        }
        return findings
    }

    /// Debian's headers are two trees: the arch's Makefile is one line, `include /usr/src/linux-headers-…-common/
    /// Makefile`, an absolute path that make reads from this machine, not from the root. Under another root
    /// (an image, another architecture's kernel) that tree must also exist here, with the same name — which
    /// means the same Debian package version, since the name carries the ABI.
    private static func includesOutsideRoot(_ tree: FilePath, advice: FixAdvice) -> [Finding] {
        guard advice.root.path != "/", let bytes = try? FileBytes.read(tree.appending("Makefile")) else { return [] }
        var findings = [Finding]()
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("include /") {
            let included = FilePath(String(line.dropFirst("include ".count).prefix { $0 != " " && $0 != "\t" }))
            guard !FileTree.exists(included) else { continue }
            let inRoot = FileTree.exists(advice.root.resolve(included))
            let package = advice.ownership.owner(of: included.string)
            findings.append(
                Finding(
                    stage: .buildTree, severity: .fatal, code: .includeOutsideRoot, subject: included.string,
                    problem:
                        "the headers' Makefile includes \(included) by absolute path, which make reads from this machine, where it is missing"
                        + (inRoot ? " (the root has it)" : ""),
                    consequence: "make stops at once (No such file or directory)",
                    fix:
                        "install \(package ?? "the package that holds \(included.removingLastComponent())") on this machine too, or run kmodmgr inside the root (chroot ROOT kmodmgr …)"
                ))
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

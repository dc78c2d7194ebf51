import Kernels
import SystemPackage
import SystemSupport

/// Stage 3: the compiler the headers name, present on this machine, with the cross prefix when the target is
/// another architecture. Modules must be built with the kernel's compiler: another one (or another version)
/// fails on flags it does not know, or builds modules that do not fit.
enum CompilerStage {

    static func inspect(
        tree: FilePath, config: KernelConfig?, target: Architecture, configuredCrossCompile: String?, thorough: Bool
    ) async -> (toolchain: Toolchain, findings: [Finding]) {
        let prefix = target.crossPrefix(configured: configuredCrossCompile)
        let cross = prefix != nil
        var findings = [Finding]()
        let name = compilerName(tree: tree, config: config)
        let compiler = (prefix ?? "") + name
        if find(compiler) == nil {
            let package = debianPackage(of: name, triplet: cross ? target.gnuTriplet : nil)
            let problem =
                cross
                ? "the cross compiler \(compiler) for \(target.machine) is not installed"
                : "the compiler these headers were made with, \(compiler), is not installed"
            var fix = "install \(package)"
            if cross { fix += ", or set cross_compile_\(target.kbuild)=PREFIX in /etc/kmodmgr/kmodmgr.conf" }
            findings.append(
                Finding(
                    stage: .compiler, severity: .fatal, code: cross ? .missingCrossCompiler : .missingCompiler, subject: compiler,
                    problem: problem + (config?["CONFIG_CC_VERSION_TEXT"].map { " (the kernel was built by \($0))" } ?? ""),
                    consequence: "make stops at once (\(compiler): not found)", fix: fix))
        } else if cross, let prefix, find(prefix + "ld") == nil {
            findings.append(
                Finding(
                    stage: .compiler, severity: .fatal, code: .missingCrossBinutils, subject: prefix + "ld",
                    problem: "the cross linker \(prefix)ld for \(target.machine) is not installed",
                    consequence: "make fails when it links the module", fix: "install binutils-\(target.gnuTriplet)"))
        } else if thorough, let expected = config?["CONFIG_CC_VERSION_TEXT"], let actual = await versionLine(of: compiler),
            version(of: actual) != version(of: expected)
        {
            findings.append(
                Finding(
                    stage: .compiler, severity: .warning, code: .compilerVersionDiffers, subject: compiler,
                    problem: "\(compiler) is \"\(actual)\"; the kernel was built by \"\(expected)\"",
                    consequence:
                        "flags the kernel's compiler knows may be refused (unrecognized command-line option), and plugins will not load",
                    fix: "install the compiler version the kernel was built with"))
        }
        let toolchain = Toolchain(
            arch: target.machine, kbuildArch: cross ? target.kbuild : nil, crossCompile: prefix, compiler: compiler)
        return (toolchain, findings)
    }

    /// The compiler program the headers name, without a cross prefix: Debian's `.kernelvariables` says
    /// (`CC = … $(CROSS_COMPILE)gcc-12`); otherwise clang for a kernel built with clang, else kbuild's default gcc.
    static func compilerName(tree: FilePath, config: KernelConfig?) -> String {
        if let bytes = try? FileBytes.read(tree.appending(".kernelvariables")) {
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard words.count >= 3, words[0] == "CC", words[1] == "=" || words[1] == ":=", let last = words.last else { continue }
                let program = String(last)
                return program.hasPrefix("$(CROSS_COMPILE)") ? String(program.dropFirst("$(CROSS_COMPILE)".count)) : program
            }
        }
        return config?.isEnabled("CONFIG_CC_IS_CLANG") == true ? "clang" : "gcc"
    }

    /// `program` in the build search path.
    static func find(_ program: String) -> FilePath? {
        program.contains("/") ? (FileTree.exists(FilePath(program)) ? FilePath(program) : nil) : BuildSearchPath.find(program)
    }

    /// Debian's package for a compiler program: `gcc-12` → `gcc-12`, with the triplet `gcc-12-aarch64-linux-gnu`;
    /// clang's are `clang-N` (or `clang`), native only.
    static func debianPackage(of program: String, triplet: String?) -> String {
        guard let triplet else { return program }
        return program.hasPrefix("gcc") ? "\(program == "gcc" ? "gcc" : program)-\(triplet)" : program
    }

    /// The compiler's own version, the last word of its version line (`12.2.0`): the program's name differs for a
    /// cross compiler (`aarch64-linux-gnu-gcc-12`) and the distribution's revision in parentheses between builds
    /// of the same compiler, and neither changes the code it makes.
    static func version(of line: String) -> Substring {
        line.split(separator: " ").last ?? ""
    }

    /// The first line of `compiler --version`, as CONFIG_CC_VERSION_TEXT records it.
    private static func versionLine(of compiler: String) async -> String? {
        guard let executable = find(compiler) else { return nil }
        let request = ProcessRequest(
            executable: executable, arguments: ["--version"], environment: ["PATH": BuildSearchPath.variable, "LC_ALL": "C"],
            workingDirectory: "/", timeLimit: .seconds(10))
        guard let result = try? await ProcessRunner.capture(request), result.termination.succeeded else { return nil }
        return String(decoding: result.standardOutput, as: UTF8.self).split(separator: "\n").first.map(String.init)
    }
}

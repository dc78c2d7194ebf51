import Foundation
import TestSupport
import Testing

/// The global shape of the command line: help, version, completions.
@Suite struct CommandLineShapeTests {
    @Test func helpListsCommandsAndGlobalOptions() throws {
        let help = try kmodmgr(["--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("USAGE: kmodmgr <subcommand>"))
        #expect(help.standardOutput.contains("modinfo"))
        let modinfoHelp = try kmodmgr(["modinfo", "--help"])
        for option in ["--root <DIR>", "-F, --field", "-k, --kernel", "-0, --null", "--verbose", "-v ", "-q, --quiet"] {
            #expect(modinfoHelp.standardOutput.contains(option), "\(option)")
        }
    }

    @Test func versionIsPrinted() throws {
        let version = try kmodmgr(["--version"])
        #expect(version.status == 0 && version.standardOutput.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil)
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsAreGenerated(shell: String) throws {
        let script = try kmodmgr(["--generate-completion-script", shell])
        #expect(script.status == 0 && script.standardOutput.contains("modinfo"))
    }

    /// One grammar: every command that takes kernels takes them the same way, and no command gives `-v` two
    /// meanings (DKMS's `-v VERSION` in package commands; kmod's verbose only in modinfo and depmod).
    @Test(arguments: ["build", "install", "autoinstall", "uninstall", "unbuild", "remove", "status", "doctor", "verify", "load"])
    func kernelTakingCommandsShareOneSpelling(command: String) throws {
        let help = try kmodmgr([command, "--help"]).standardOutput
        for option in ["-k, --kernel <KVER>", "--all-kernels", "-a, --arch <ARCH>", "--root <DIR>", "--verbose", "-q, --quiet"] {
            #expect(help.contains(option), "\(command) --help lacks \(option)")
        }
        #expect(!help.contains("-v, --verbose"), "\(command): -v must not be verbose here")
    }

    /// Global options come before or after the command's name; -q and --verbose cannot be given together.
    @Test func globalOptionsMayPrecedeTheCommand() throws {
        let root = try TemporaryDirectory()
        let before = try kmodmgr(["--root", root.url.path, "status"])
        let after = try kmodmgr(["status", "--root", root.url.path])
        #expect(before.status == 0 && after.status == 0, "\(before.standardError)\(after.standardError)")
        #expect(before.standardOutput == after.standardOutput)
        let both = try kmodmgr(["--root=\(root.url.path)", "-q", "--verbose", "status"])
        #expect(both.status == 64 && both.standardError.contains("contradict"), "\(both.standardError)")
        let unknown = try kmodmgr(["--root", root.url.path, "nosuchcommand"])
        #expect(unknown.status == 64)
    }

    /// `kmodmgr build <TAB>` offers the registered packages and `-k <TAB>` the kernels, of the --root being typed,
    /// as the shells' completion scripts ask for them (`---completion COMMAND -- ARGUMENT CWORD CURSOR WORDS…`).
    @Test func completionsOfferPackagesAndKernelsOfTheRoot() throws {
        let root = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: root.path("lib/modules/6.1.0-1-test"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.path("lib/modules/6.1.0-2-test"), withIntermediateDirectories: true)
        let hello = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("LifecycleTests/Packages/hello-1.0")
        #expect(try kmodmgr(["add", "--root", root.url.path, hello.path]).status == 0)
        let typed = ["kmodmgr", "build", "--root", root.url.path]
        let packages = try kmodmgr(["---completion", "build", "--", "positional@0", "4", "1"] + typed + ["h"])
        #expect(packages.standardOutput == "hello\nhello/1.0\n", "\(packages.standardOutput)\(packages.standardError)")
        let kernels = try kmodmgr(["---completion", "uninstall", "--", "--kernel", "5", "7"] + typed + ["-k", "6.1.0-2"])
        #expect(kernels.standardOutput == "6.1.0-2-test\n", "\(kernels.standardOutput)\(kernels.standardError)")
        let script = try kmodmgr(["--generate-completion-script", "bash"]).standardOutput
        #expect(script.contains("---completion build -- positional@0") && script.contains("---completion build -- --kernel"))
    }

    /// modinfo sets its operands aside before parsing (thousands of them from xargs): what it knows of which
    /// options take a value must be what it declares, and options may still come after the operands.
    @Test func modinfoSplitsOperandsAsItsDeclarationsSay() throws {
        let help = try kmodmgr(["modinfo", "--help"]).standardOutput
        var declared = Set<String>()
        for line in help.split(separator: "\n") where line.hasPrefix("  -") && line.contains(" <") {
            let names = line.prefix { $0 != "<" }.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            declared.formUnion(names.map { String($0.split(separator: " ")[0]) })
        }
        #expect(declared == ["-F", "--field", "-k", "--kernel", "--set-version", "-b", "--basedir", "--root"], "\(declared)")
        let module = try #require(try InstalledKernel.find().sample(1).first)
        let many = Array(repeating: module.path, count: 20)
        let fieldAfter = try kmodmgr(["modinfo"] + many + ["-F", "vermagic"])
        let fieldBefore = try kmodmgr(["modinfo", "-F", "vermagic"] + many)
        #expect(fieldAfter.status == 0 && fieldAfter.standardOutput == fieldBefore.standardOutput, "\(fieldAfter.standardError)")
        #expect(fieldAfter.standardOutput.split(separator: "\n").count == 20)
        let dashed = try kmodmgr(["modinfo", "-F", "name", "--"] + many)
        #expect(dashed.standardOutput.split(separator: "\n").count == 20)
    }
}

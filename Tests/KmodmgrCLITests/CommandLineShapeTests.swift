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
        for option in ["--root <DIR>", "-F, --field", "-k, --kernel", "-0, --null", "-v, --verbose"] {
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
}

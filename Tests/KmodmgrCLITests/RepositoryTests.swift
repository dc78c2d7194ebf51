import Foundation
import TestSupport
import Testing

/// Checks on the repository itself that CI must enforce: formatting and the man page.
@Suite struct RepositoryTests {
    /// The package root, found from this file's location.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func sourcesFollowTheCheckedInSwiftFormatConfiguration() throws {
        let lint = try run("swift", ["format", "lint", "--strict", "-r", "Sources", "Tests", "Package.swift"], in: Self.packageRoot)
        #expect(lint.status == 0, "run `swift format format -i -r Sources Tests Package.swift`:\n\(lint.standardError)")
    }

    @Test func manPageRendersWithoutWarnings() throws {
        let rendered = try run("man", ["--warnings", "-l", "-Tutf8", "man/kmodmgr.8"], in: Self.packageRoot)
        #expect(rendered.status == 0)
        #expect(rendered.standardError.isEmpty, "\(rendered.standardError)")
        #expect(rendered.standardOutput.contains("modinfo"))
    }

    /// The subcommands `kmodmgr --help` lists.
    static func commands() throws -> [String] {
        let help = try kmodmgr(["--help"]).standardOutput
        guard let section = help.range(of: "SUBCOMMANDS:") else { return [] }
        return help[section.upperBound...].split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            return line.hasPrefix("  ") && !line.hasPrefix("   ") && !line.hasPrefix("  See") ? words.first.map(String.init) : nil
        }
    }

    /// Every command `--help` lists has a section in the man page, and the list is not empty.
    @Test func manPageDocumentsEveryCommand() throws {
        let commands = try Self.commands()
        #expect(commands.count >= 14 && commands.contains("initramfs"), "\(commands)")
        let page = try String(contentsOf: Self.packageRoot.appendingPathComponent("man/kmodmgr.8"), encoding: .utf8)
        for command in commands { #expect(page.contains("\n.SS \(command)\n"), "no section for \(command) in man/kmodmgr.8") }
    }

    /// Every option a command's `--help` lists is documented in the man page.
    @Test(arguments: try commands())
    func manPageDocumentsEveryOption(command: String) throws {
        let help = try kmodmgr([command, "--help"]).standardOutput
        let page = try String(contentsOf: Self.packageRoot.appendingPathComponent("man/kmodmgr.8"), encoding: .utf8)
            .replacingOccurrences(of: "\\-", with: "-")
        let options = help.matches(of: /--[a-z][a-z-]+/).map { String($0.output) }
        #expect(options.count >= 3)
        for option in Set(options) { #expect(page.contains(option), "\(option) is not in man/kmodmgr.8") }
    }
}

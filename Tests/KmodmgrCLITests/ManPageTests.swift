import Foundation
import Preflight
import TestSupport
import Testing

/// The man pages render cleanly and keep up with the code they document: every `kmodmgr.conf` key the settings
/// parser accepts, and every dkms.conf directive kmodmgr reads.
@Suite struct ManPageTests {
    static let packageRoot = RepositoryTests.packageRoot
    static let manDirectory = packageRoot.appendingPathComponent("man")

    /// Every file in `man/`.
    static let pages: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: manDirectory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }()

    @Test func thereAreManPages() {
        #expect(Self.pages.contains("kmodmgr.8"))
        #expect(Self.pages.contains("kmodmgr.conf.5"))
        #expect(Self.pages.contains("kmodmgr-dkms.conf.5"))
    }

    /// `man --warnings` (man-db's checks) and `groff -ww` (every groff warning) say nothing about any page.
    @Test(arguments: ManPageTests.pages)
    func rendersWithoutWarnings(page: String) throws {
        let path = Self.manDirectory.appendingPathComponent(page).path
        let environment = ["LC_ALL": "C.UTF-8", "MANWIDTH": "80"]
        let man = try run("man", ["--warnings", "-l", path], environment: environment)
        #expect(man.status == 0)
        #expect(man.standardError.isEmpty, "man --warnings -l \(page):\n\(man.standardError)")
        #expect(!man.stdout.isEmpty)
        let groff = try run("groff", ["-man", "-ww", "-z", path], environment: environment)
        #expect(groff.status == 0)
        #expect(groff.standardError.isEmpty, "groff -man -ww -z \(page):\n\(groff.standardError)")
    }

    /// Each key in `Settings.load`'s `switch key` has an entry (a `.TP` tag starting `key=`) in kmodmgr.conf(5).
    @Test func configurationPageDocumentsEverySetting() throws {
        let source = try Self.text("Sources/Lifecycle/Settings.swift")
        let keys = try settingKeys(in: source)
        #expect(keys.contains("build_user") && keys.contains("compression"), "read from Settings.swift: \(keys)")
        let documented = tags(in: try Self.text("man/kmodmgr.conf.5"))
        for key in keys {
            #expect(documented.contains { $0.hasPrefix(key + "=") }, "kmodmgr.conf.5 has no entry for \(key)=")
        }
    }

    /// Every finding the preflight and `doctor` can report is explained under DIAGNOSTICS in kmodmgr(8).
    @Test func diagnosticsSectionListsEveryFinding() throws {
        let page = try Self.text("man/kmodmgr.8")
        let start = try #require(page.range(of: "\n.SH DIAGNOSTICS\n"), "kmodmgr.8 has no DIAGNOSTICS section")
        let end = page.range(of: "\n.SH ", range: start.upperBound..<page.endIndex)?.lowerBound ?? page.endIndex
        let section = page[start.upperBound..<end].replacingOccurrences(of: "\\-", with: "-")
        #expect(Finding.Code.allCases.count >= 25)
        for code in Finding.Code.allCases {
            let named = section.matches(of: /[a-z0-9]+(-[a-z0-9]+)*/).contains { $0.output.0 == code.rawValue }
            #expect(named, "DIAGNOSTICS does not explain \(code.rawValue)")
        }
    }

    /// Each name in `DirectiveTable.rows` appears in bold in kmodmgr-dkms.conf(5).
    @Test func dkmsConfPageNamesEveryDirective() throws {
        let source = try Self.text("Sources/DKMSConf/DirectiveTable.swift")
        let directives = try directiveNames(in: source)
        #expect(directives.count >= 40, "read from DirectiveTable.swift: \(directives)")
        #expect(directives.contains("PACKAGE_NAME") && directives.contains("REMAKE_INITRD") && directives.contains("patch_array"))
        let bold = boldText(in: try Self.text("man/kmodmgr-dkms.conf.5"))
        for directive in directives {
            #expect(bold.contains { containsWord(directive, in: $0) }, "kmodmgr-dkms.conf.5 does not name \(directive) in bold")
        }
    }

    // MARK: - Reading the sources

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: packageRoot.appendingPathComponent(relativePath), encoding: .utf8)
    }

    /// The string labels of the `case`s directly inside `switch key { … }` (not those of switches nested in them).
    func settingKeys(in source: String) throws -> [String] {
        let start = try #require(source.range(of: "switch key {"), "Settings.swift no longer has `switch key {`")
        var depth = 1
        var inString = false
        var topLevel = ""
        var index = start.upperBound
        while index < source.endIndex, depth > 0 {
            let character = source[index]
            if inString && character == "\\" {
                index = source.index(after: index)  // an escaped character cannot end the string
            } else if character == "\"" {
                inString.toggle()
            }
            if !inString && character == "{" { depth += 1 }
            if !inString && character == "}" { depth -= 1 }
            if depth == 1 && (inString || character != "}") { topLevel.append(character) }
            index = source.index(after: index)
        }
        var keys: [String] = []
        for label in topLevel.matches(of: /case\s+((?:"[^"]*"\s*,\s*)*"[^"]*")\s*:/) {
            keys += label.output.1.matches(of: /"([^"]*)"/).map { String($0.output.1) }
        }
        return keys
    }

    /// The string literals of `DirectiveTable.rows`, which lists every directive (and, for a legacy name, the
    /// directive it stands for).
    func directiveNames(in source: String) throws -> Set<String> {
        let start = try #require(source.range(of: "static let rows"), "DirectiveTable.swift no longer has `static let rows`")
        let end = try #require(source.range(of: "static let names", range: start.upperBound..<source.endIndex))
        return Set(source[start.upperBound..<end.lowerBound].matches(of: /"([A-Za-z_][A-Za-z0-9_]*)"/).map { String($0.output.1) })
    }

    // MARK: - Reading the pages

    /// A line of roff without its quotes and its `\-`, `\&` and font (`\fB` …) escapes.
    func plain(_ line: String) -> String {
        line.replacing("\\-", with: "-").replacing("\\&", with: "").replacing(/\\f[BIRP]/, with: "").replacing("\"", with: "")
    }

    /// A font macro at the start of a line, with the blanks after it.
    let fontMacro = /^\.(B|I|BI|IB|BR|RB|IR|RI)\s+/

    /// The tags of `.TP` entries: the line after each `.TP`, without its font macro.
    func tags(in page: String) -> [String] {
        let lines = page.split(separator: "\n", omittingEmptySubsequences: false)
        return zip(lines, lines.dropFirst()).filter { $0.0.hasPrefix(".TP") }.map { _, tag in
            plain(String(tag).replacing(fontMacro, with: "")).replacing(" ", with: "")
        }
    }

    /// The text set in bold: the arguments of `.B`, `.BI`, `.BR`, `.IB` and `.RB` lines, and `\fB…` runs.
    func boldText(in page: String) -> [String] {
        var bold: [String] = []
        for line in page.split(separator: "\n") {
            if line.firstMatch(of: /^\.(B|BI|BR|IB|RB)\s/) != nil { bold.append(plain(String(line).replacing(fontMacro, with: ""))) }
            for run in line.matches(of: /\\fB(.*?)(\\f[RIP]|$)/) { bold.append(plain(String(run.output.1))) }
        }
        return bold
    }

    /// Whether `word` occurs in `text` with no letter, digit or underscore right before or after it.
    func containsWord(_ word: String, in text: String) -> Bool {
        text.matches(of: /[A-Za-z0-9_]+/).contains { $0.output == word }
    }
}

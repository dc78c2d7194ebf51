import SystemPackage
import SystemSupport

/// What depmod.d files say, reduced to the four lists depmod uses (docs/depmod-index.md, Configuration: depmod.d).
///
/// Lists are kept in kmod's order: each new entry is put in front, so for `search` the first word written ends
/// up last and, because a later position means a higher priority, wins.
public struct DepmodConfiguration: Sendable, Equatable {
    /// One word of a `search` line.
    public enum SearchEntry: Sendable, Equatable {
        /// `built-in`: the priority of modules that no other entry matches.
        case builtIn
        /// `external`: every `external` directory, in list order.
        case external
        /// A directory relative to the module directory, such as `updates`.
        case directory(String)
    }

    /// Search entries, lowest priority first.
    public var search: [SearchEntry] = []
    /// `override` lines that apply to this kernel, as `SUBDIR/MODULE`, last defined first.
    public var overrides: [String] = []
    /// `external` directories that apply to this kernel, last defined first.
    public var externalDirectories: [String] = []
    /// Names skipped anywhere in the walk (`exclude`).
    public var excludedNames: Set<String> = []

    public init() {}

    /// The search list in effect: what the files said, or just `updates` when no `search` line exists.
    /// (`built-in` is not in the default, whatever depmod.d(5) says.)
    var effectiveSearch: [SearchEntry] { search.isEmpty ? [.directory("updates")] : search }

    /// Applies one depmod.d file's text for kernel `release`, reporting bad lines to `sink`.
    mutating func apply(_ text: String, from file: FilePath, release: String, sink: any DiagnosticSink) {
        for (lineNumber, line) in Self.logicalLines(text) {
            if line.first == "#" { continue }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let command = words.first else { continue }
            let arguments = Array(words.dropFirst())
            switch (command, arguments.count) {
            case ("search", _):
                for word in arguments {
                    let entry: SearchEntry =
                        switch word {
                        case "built-in": .builtIn
                        case "external": .external
                        default: .directory(word)
                        }
                    search.insert(entry, at: 0)
                }
            case ("override", 3...):
                if KernelVersionPattern(arguments[1]).matches(release) {
                    overrides.insert("\(arguments[2])/\(arguments[0])", at: 0)
                }
            case ("external", 2...):
                // Only the first directory of a line counts, whatever the man page says.
                if KernelVersionPattern(arguments[0]).matches(release) { externalDirectories.insert(arguments[1], at: 0) }
            case ("exclude", _):
                excludedNames.formUnion(arguments)
            case ("include", _), ("make_map_files", _):
                sink.note("'\(command)' is not implemented; line ignored", file: file, line: lineNumber)
            default:
                sink.warning("ignoring bad line starting with '\(command)'", file: file, line: lineNumber)
            }
        }
    }

    /// Lines with backslash-newline continuations joined, each with the number of its first physical line.
    static func logicalLines(_ text: String) -> [(Int, Substring)] {
        var result = [(Int, Substring)]()
        var pending = ""
        var pendingStart = 0
        for (offset, physical) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if pending.isEmpty { pendingStart = offset + 1 }
            if physical.hasSuffix("\\") {
                pending += physical.dropLast()
                continue
            }
            pending += physical
            result.append((pendingStart, Substring(pending)))
            pending = ""
        }
        if !pending.isEmpty { result.append((pendingStart, Substring(pending))) }
        return result
    }
}

/// The checks that keep a dkms.conf from steering kmodmgr outside the directories it means to touch. kmodmgr runs as
/// root and joins these values to paths, so a name such as `../x` or a location such as `../../etc` is refused
/// outright, never cleaned up into something else.
struct ManifestValidation {
    /// The directive whose value is checked (with its index, `BUILT_MODULE_LOCATION[2]`), for the error.
    let directive: String
    let value: String
    /// Builds the error for this directive; supplied by the resolver, which knows the file and line.
    let fail: @Sendable (_ directive: String, _ value: String, _ reason: String) -> ManifestError

    /// A name used as one path component: not empty, no `/`, not `.` or `..`, no control characters.
    func safeComponent() throws(ManifestError) -> String {
        guard !value.isEmpty else { throw fail(directive, value, "must not be empty") }
        guard !value.contains("/") else { throw fail(directive, value, "must be a single path component (no '/')") }
        guard value != "." && value != ".." else { throw fail(directive, value, "must not be '.' or '..'") }
        try noControlCharacters()
        return value
    }

    /// A module file name without its extension.
    func moduleName() throws(ManifestError) -> String {
        let name = try safeComponent()
        if name.hasSuffix(".ko") || name.hasSuffix(".o") {
            throw fail(directive, value, "a module name is given without '.o' or '.ko'")
        }
        return name
    }

    /// A path below some directory: relative, no `..`; returned without empty or `.` components ("" for the top).
    func relativePath() throws(ManifestError) -> String {
        try noControlCharacters()
        guard !value.hasPrefix("/") else { throw fail(directive, value, "must be relative to its directory, not absolute") }
        return try components().joined(separator: "/")
    }

    /// A `DEST_MODULE_LOCATION`: `/kernel…`, `/updates…` or `/extra…`, no `..`; returned without a trailing slash.
    func destinationLocation() throws(ManifestError) -> String {
        try noControlCharacters()
        let parts = try components()
        guard value.hasPrefix("/"), let first = parts.first, ["kernel", "updates", "extra"].contains(first) else {
            throw fail(directive, value, "must start with /kernel, /updates or /extra")
        }
        return "/" + parts.joined(separator: "/")
    }

    /// A script directive: its first word is a path relative to its directory; the rest are arguments.
    func script() throws(ManifestError) -> String {
        try noControlCharacters()
        let program = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
        guard !program.isEmpty else { throw fail(directive, value, "names no program") }
        let check = ManifestValidation(directive: directive, value: program, fail: fail)
        _ = try check.relativePath()
        return value
    }

    private func components() throws(ManifestError) -> [String] {
        let parts = value.split(separator: "/").map(String.init).filter { $0 != "." }
        guard !parts.contains("..") else { throw fail(directive, value, "must not contain '..'") }
        return parts
    }

    private func noControlCharacters() throws(ManifestError) {
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw fail(directive, value, "must not contain control characters (NUL, newline, …)")
        }
    }
}

import SystemPackage

/// The `PATH` every build step, script and toolchain look-up uses: fixed, never the caller's (a hook's environment
/// is not the admin's shell), so that what the preflight finds is what make will run.
public enum BuildSearchPath {
    public static let directories: [FilePath] = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]

    /// As a `PATH` value.
    public static let variable = directories.map(\.string).joined(separator: ":")

    /// The program named `program` (a bare name, no `/`) in the search path, nil when none is there.
    public static func find(_ program: String) -> FilePath? {
        guard !program.contains("/"), !program.isEmpty else { return nil }
        return directories.lazy.map { $0.appending(program) }.first(where: FileTree.exists)
    }
}

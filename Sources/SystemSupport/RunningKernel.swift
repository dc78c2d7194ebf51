#if canImport(Glibc)
    import Glibc
#endif

/// The kernel this machine runs (`uname`), asked in one place: the default kernel of many commands, and the one
/// whose `/proc` and `/sys` describe a release.
public enum RunningKernel {
    /// `uname -r`.
    public static var release: String {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// `uname -m`.
    public static var machine: String {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: &names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

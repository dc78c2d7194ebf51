#if canImport(Glibc)
    import Glibc
#endif

/// The KVER field of depmod.d `override` and `external` lines: `*` for every kernel, otherwise a POSIX extended
/// regular expression matched anywhere in the release (`regexec`, unanchored). A pattern that does not compile
/// matches nothing, as in depmod.
struct KernelVersionPattern {
    let pattern: String

    init(_ pattern: String) {
        self.pattern = pattern
    }

    func matches(_ release: String) -> Bool {
        if pattern == "*" { return true }
        var expression = regex_t()
        guard regcomp(&expression, pattern, REG_EXTENDED | REG_NOSUB) == 0 else { return false }
        defer { regfree(&expression) }
        return regexec(&expression, release, 0, nil, 0) == 0
    }
}

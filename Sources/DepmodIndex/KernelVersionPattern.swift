import SystemSupport

/// The KVER field of depmod.d `override` and `external` lines: `*` for every kernel, otherwise a POSIX extended
/// regular expression matched anywhere in the release (`ExtendedRegex`, unanchored). A pattern that does not compile
/// matches nothing, as in depmod.
struct KernelVersionPattern {
    let pattern: String

    init(_ pattern: String) {
        self.pattern = pattern
    }

    func matches(_ release: String) -> Bool {
        if pattern == "*" { return true }
        guard let expression = try? ExtendedRegex(pattern) else { return false }
        return expression.matches(release)
    }
}

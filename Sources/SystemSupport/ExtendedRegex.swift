#if canImport(Glibc)
    import Glibc
#endif

/// A POSIX extended regular expression (`regcomp` with `REG_EXTENDED | REG_NOSUB`), compiled once and matched
/// unanchored anywhere in a string, as `regexec` and bash's `=~` do. This is the one place kmodmgr holds a libc
/// `regex_t`: depmod.d's KVER patterns and dkms.conf's `*_MATCH` and `BUILD_EXCLUSIVE_*` patterns both use it.
///
/// The compiled expression lives in a heap box so that the struct can be copied and shared between threads:
/// `regexec` only reads it, and `regfree` runs once, when the last copy is gone.
public struct ExtendedRegex: @unchecked Sendable {
    /// The pattern as written.
    public let pattern: String
    private let compiled: Compiled

    /// Why a pattern did not compile: `regerror`'s text for the `regcomp` error code.
    public struct CompileError: Error, Sendable, Equatable, CustomStringConvertible {
        public let pattern: String
        public let reason: String
        public var description: String { "bad regular expression '\(pattern)': \(reason)" }
    }

    /// Compiles `pattern` with `regcomp`; throws `regerror`'s explanation when it is not a valid extended regex.
    public init(_ pattern: String) throws(CompileError) {
        let box = Compiled()
        let status = regcomp(&box.expression, pattern, REG_EXTENDED | REG_NOSUB)
        guard status == 0 else {
            var buffer = [CChar](repeating: 0, count: 256)
            regerror(status, &box.expression, &buffer, buffer.count)
            throw CompileError(
                pattern: pattern, reason: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        box.valid = true
        self.pattern = pattern
        self.compiled = box
    }

    /// Whether the expression matches anywhere in `text` (`regexec`). Text with a NUL byte is matched up to it, as C
    /// sees it.
    public func matches(_ text: String) -> Bool {
        regexec(&compiled.expression, text, 0, nil, 0) == 0
    }

    /// Owns the `regex_t`; `regfree` in `deinit` releases it exactly once.
    private final class Compiled {
        var expression = regex_t()
        var valid = false
        deinit { if valid { regfree(&expression) } }
    }
}

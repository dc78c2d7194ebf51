import SystemPackage

/// A libkmod call that failed, with what it was about.
public struct KmodError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The libkmod function that failed.
    public let function: String
    /// The module name, alias or path the call was about.
    public let subject: String
    /// The error libkmod returned (as `-errno`).
    public let errno: Errno

    public init(_ function: String, subject: String, errno: Errno) {
        self.function = function
        self.subject = subject
        self.errno = errno
    }

    public var description: String { "libkmod \(function) failed for '\(subject)': \(errno.description)" }
}

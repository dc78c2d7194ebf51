import SystemPackage

/// A failed system call on a named file: what was attempted, on which path, and the errno it gave.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kmodmgr was doing, in a few lowercase words ("open", "read", "map").
    public let operation: String
    /// The file the call was about.
    public let path: FilePath
    /// The error number the call gave.
    public let errno: Errno

    public init(_ operation: String, path: FilePath, errno: Errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// One line: `cannot open '/x/y.ko': No such file or directory`.
    public var description: String {
        "cannot \(operation) '\(path)': \(errno.description)"
    }
}

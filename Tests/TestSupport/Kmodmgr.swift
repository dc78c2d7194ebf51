import Foundation

/// The `kmodmgr` binary built next to this test executable.
public func kmodmgrBinary() throws -> String {
    let testExecutable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    var directory = URL(fileURLWithPath: testExecutable).deletingLastPathComponent()
    // The test executable may sit inside a `.xctest` bundle directory.
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent("kmodmgr")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
        directory.deleteLastPathComponent()
    }
    throw MissingProgram(name: "kmodmgr (build it with `swift build`)")
}

/// Runs the built `kmodmgr` with `arguments`.
@discardableResult
public func kmodmgr(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws
    -> ProcessResult
{
    try run(try kmodmgrBinary(), arguments, in: directory, environment: environment)
}

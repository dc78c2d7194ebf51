import Foundation
import Kernels
import SystemSupport
import TestSupport

/// A temporary root for whole lifecycles: the real headers of every kernel installed on this machine (the tests
/// need two: `.ci/run` installs them) laid into it as Debian installs them (`HeadersInRoot`), and everything mode
/// 0755 so that the unprivileged build user can reach its build directories.
final class LifecycleRoot: @unchecked Sendable {
    let directory: TemporaryDirectory
    let kernels: [String]
    var path: String { directory.url.path }

    init() throws {
        directory = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.url.path)
        kernels = try Self.kernelsWithHeaders()
        for kernel in kernels { try HeadersInRoot.install(kernel: kernel, into: directory.url) }
    }

    /// Releases whose headers this machine has (`/lib/modules/<release>/build`), oldest first: kmodmgr's own
    /// discovery, on the real root.
    static func kernelsWithHeaders() throws -> [String] {
        let kernels = KernelInventory.releasesWithHeaders(root: .system)
        guard kernels.count >= 2 else {
            throw DebianCorpus.Unavailable(
                reason: "headers of two kernels are needed (scripts/setup --deps installs them); found \(kernels)")
        }
        return kernels
    }

    /// Runs kmodmgr with `--root` this root after the command word (killed after `timeLimit`, when one is given).
    @discardableResult
    func kmodmgr(
        _ command: String, _ arguments: [String], environment: [String: String] = [:], timeLimit: Duration? = nil
    ) throws -> ProcessResult {
        try run(try kmodmgrBinary(), [command, "--root", path] + arguments, environment: environment, timeLimit: timeLimit)
    }

    /// A file under the root, as text.
    func read(_ relative: String) throws -> String {
        try String(contentsOfFile: directory.path(relative).path, encoding: .utf8)
    }

    func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: directory.path(relative).path)
    }

    /// The state directory of a package version for a kernel.
    func kernelState(_ package: String, _ kernel: String) -> String {
        "var/lib/kmodmgr/\(package)/\(kernel)/x86_64"
    }

    /// The module file names a build recorded (from the record's `module=` lines).
    func builtModules(_ package: String, _ kernel: String) throws -> [String] {
        try read(kernelState(package, kernel) + "/record").split(separator: "\n")
            .filter { $0.hasPrefix("module=") }
            .map { String($0.dropFirst("module=".count).split(separator: " ")[0]) }
            .sorted()
    }

    /// The path of a built module in the state tree.
    func builtModulePath(_ package: String, _ kernel: String, _ module: String) throws -> String {
        let record = try read(kernelState(package, kernel) + "/record")
        let build = record.split(separator: "\n").first { $0.hasPrefix("build=") }!.dropFirst("build=".count)
        return directory.path("\(kernelState(package, kernel))/\(build)/module/\(module).ko").path
    }
}

/// The directory of the test packages shipped with the tests.
func testPackage(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Packages/\(name)").path
}

/// hello's module source (Kbuild, kmm_hello.c) copied into `directory` (made if needed): a package the test writes
/// a dkms.conf for, without a second copy of the module in Packages/.
func copyHelloModuleSource(into directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    for file in ["Kbuild", "kmm_hello.c"] {
        try FileManager.default.copyItem(atPath: testPackage("hello-1.0") + "/" + file, toPath: directory.appendingPathComponent(file).path)
    }
}

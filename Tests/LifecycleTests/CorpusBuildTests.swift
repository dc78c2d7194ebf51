import Foundation
import TestSupport
import Testing

/// Real Debian `*-dkms` packages (fetched with apt-get download + dpkg -x) built by kmodmgr for two kernels, and
/// by DKMS 3.0.10 itself for one: kmodmgr must build exactly the `.ko` set DKMS builds, then install and verify it.
@Suite(.serialized) struct CorpusBuildTests {
    static let packages = [
        "v4l2loopback-dkms", "acpi-call-dkms", "vpoll-dkms", "tp-smapi-dkms", "ddcci-dkms", "digimend-dkms",
        "dm-writeboost-dkms", "evdi-dkms",
    ]

    @Test(arguments: packages) func buildsTheSameModulesAsDKMS(_ debianPackage: String) throws {
        let package = try DebianCorpus.package(debianPackage)
        let root = try LifecycleRoot()
        let added = try root.kmodmgr("add", [package.sourceDirectory.path])
        #expect(added.status == 0, "\(added.standardError)")
        let reference = String(added.standardOutput.split(separator: ":")[0])  // NAME/VERSION

        let kernels = Array(root.kernels.suffix(2))
        let built = try root.kmodmgr("build", [reference] + kernels.flatMap { ["-k", $0] })
        try #require(built.status == 0, "\(reference): \(built.standardOutput)\(built.standardError)")

        let expected = try dkmsBuild(package, reference: reference, kernel: kernels[1])
        #expect(!expected.isEmpty)
        for kernel in kernels {
            #expect(try root.builtModules(reference, kernel) == expected, "\(reference) for \(kernel)")
            for module in expected {
                let vermagic = try run(try which("modinfo"), ["-F", "vermagic", try root.builtModulePath(reference, kernel, module)])
                #expect(vermagic.standardOutput.hasPrefix(kernel + " "))
            }
        }
        // LoadCheck passes what the kernel loads: a package's modules that use each other's exports (ddcci,
        // tp-smapi) count as installed together; and verify agrees afterwards.
        let installed = try root.kmodmgr("install", [reference, "-k", kernels[1]])
        #expect(installed.status == 0, "\(reference): \(installed.standardError)")
        let verified = try root.kmodmgr("verify", [reference])
        #expect(verified.status == 0, "\(reference): \(verified.standardOutput)")
    }

    /// The module names DKMS builds for `kernel`, from a private DKMS tree (`--dkmstree`, `--sourcetree`).
    private func dkmsBuild(_ package: DebianCorpus.Package, reference: String, kernel: String) throws -> [String] {
        let work = try TemporaryDirectory()
        let sources = work.path("src")
        let tree = work.path("tree")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        let parts = reference.split(separator: "/").map(String.init)
        try FileManager.default.copyItem(at: package.sourceDirectory, to: sources.appendingPathComponent("\(parts[0])-\(parts[1])"))
        let dkms = try which("dkms")
        let result = try run(
            dkms, ["build", "-m", parts[0], "-v", parts[1], "-k", kernel, "--sourcetree", sources.path, "--dkmstree", tree.path])
        #expect(result.status == 0, "dkms build \(reference): \(result.standardOutput)\(result.standardError)")
        let modules = tree.appendingPathComponent("\(parts[0])/\(parts[1])/\(kernel)/x86_64/module")
        return try FileManager.default.contentsOfDirectory(atPath: modules.path)
            .map { name in String(name[..<name.range(of: ".ko")!.lowerBound]) }
            .sorted()
    }
}

import Foundation
import TestSupport

/// The real DKMS 3.0.10 managing packages inside a test root: its tree in `<root>/var/lib/dkms`, sources in
/// `<root>/usr/src`, installs in `<root>/lib/modules` (its `--dkmstree`, `--sourcetree`, `--installtree`). DKMS runs
/// `depmod -a KVER` on the host's tree, so it is given `--no-depmod` and the root is indexed here instead, as DKMS's
/// depmod would have indexed a real system. It signs with the host's `/var/lib/dkms/mok.key` (made on first use).
struct RealDKMS {
    let root: LifecycleRoot

    var treeOptions: [String] {
        ["--dkmstree", root.path + "/var/lib/dkms", "--sourcetree", root.path + "/usr/src", "--installtree", root.path + "/lib/modules"]
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> ProcessResult {
        try TestSupport.run(try which("dkms"), arguments + treeOptions, timeLimit: .seconds(900))
    }

    /// The test package `directory` (`hello-1.0`) copied to the root's `/usr/src`, as its Debian package would put it.
    func placeSource(_ directory: String) throws {
        try FileManager.default.createDirectory(at: root.directory.path("var/lib/dkms"), withIntermediateDirectories: true)
        let target = root.directory.path("usr/src/\(directory)")
        guard !FileManager.default.fileExists(atPath: target.path) else { return }
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: testPackage(directory), toPath: target.path)
        _ = try TestSupport.run("chmod", ["-R", "a+rX", target.path])
    }

    /// `dkms install` of `package` (NAME/VERSION) for `kernel`, then the root's index made as DKMS's depmod would.
    func install(_ package: String, kernel: String) throws -> ProcessResult {
        let parts = package.split(separator: "/").map(String.init)
        try placeSource("\(parts[0])-\(parts[1])")
        let result = try run(["install", "-m", parts[0], "-v", parts[1], "-k", kernel, "--no-depmod"])
        try TestSupport.run("depmod", ["-b", root.path, kernel])
        return result
    }

    /// `dkms status` as (package, kernel, state) triples, the state's first word.
    func statusTriples() throws -> [String] {
        Self.triples(try run(["status"]).standardOutput)
    }

    /// `NAME/VERSION[, KVER, ARCH]: STATE …` lines as `NAME/VERSION KVER STATE`, sorted.
    static func triples(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap { line in
            guard let colon = line.range(of: ": ") else { return nil }
            let fields = line[..<colon.lowerBound].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let state = line[colon.upperBound...].split(separator: " ").first.map(String.init) ?? ""
            return "\(fields[0]) \(fields.count > 1 ? fields[1] : "-") \(state)"
        }.sorted()
    }
}

import Foundation
import TestSupport
import Testing

/// Migration from DKMS: the real DKMS 3.0.10 installs packages into a test root (one overriding an in-tree module,
/// one on two kernels, one built only), then `kmodmgr import-dkms` adopts them: `status` lists what `dkms status`
/// listed, no file under `lib/modules` changes, and uninstall/remove through kmodmgr put back what DKMS's install
/// overrode.
@Suite struct DKMSImportTests {
    @Test func whatDKMSInstalledIsAdoptedWithoutAFileMovedAndUninstallsAsKmodmgrs() throws {
        let (root, kernel, other, inTree, dkms) = try RealDKMS.managedRoot()
        let before = try dkms.statusTriples()
        #expect(before.contains("shadow/1.0 \(kernel) installed") && before.contains("multi/2.0 \(kernel) built"), "\(before)")
        let files = try root.checksums(under: "lib/modules")

        let imported = try root.kmodmgr("import-dkms", [])
        #expect(imported.status == 0, "\(imported.standardOutput)\(imported.standardError)")
        #expect(RealDKMS.triples(try root.kmodmgr("status", []).standardOutput) == before)
        #expect(try root.checksums(under: "lib/modules") == files, "import-dkms changed a file under lib/modules")
        #expect(try root.agreement(kernel, inTree: inTree) == [])
        // The overridden in-tree module is known as such; DKMS's log is the build's.
        #expect(
            try root.kmodmgr("status", ["shadow/1.0"]).standardOutput.contains(
                "(overrides /lib/modules/\(kernel)/kernel/drivers/net/dummy.ko)"))
        let again = try root.kmodmgr("import-dkms", [])
        #expect(again.status == 0 && again.standardOutput.isEmpty, "\(again.standardOutput)")

        // Uninstalled through kmodmgr: DKMS's file goes, the in-tree module DKMS overrode is what the index names.
        #expect(try root.kmodmgr("uninstall", ["shadow/1.0", "-k", kernel]).status == 0)
        #expect(!root.exists("lib/modules/\(kernel)/updates/dkms/dummy.ko"))
        #expect(try root.read("lib/modules/\(kernel)/modules.dep").contains("kernel/drivers/net/dummy.ko:"))
        #expect(try root.agreement(kernel, inTree: inTree) == [])
        // The built-only package installs from DKMS's build, without a build of kmodmgr's.
        let multi = try root.kmodmgr("install", ["multi/2.0", "-k", kernel])
        #expect(multi.status == 0 && !multi.standardOutput.contains("built ("), "\(multi.standardOutput)\(multi.standardError)")
        #expect(try root.kmodmgr("remove", ["multi/2.0", "--all-kernels"]).status == 0)
        // Removed everywhere: updates/dkms, which DKMS made, goes with its last module.
        #expect(try root.kmodmgr("remove", ["hello/1.0", "--all-kernels"]).status == 0)
        for release in [kernel, other] { #expect(!root.exists("lib/modules/\(release)/updates/dkms"), "\(release)") }
        #expect(try root.agreement(kernel, inTree: inTree) == [])
        // DKMS's tree still says installed, but what was imported is never adopted again.
        #expect(try root.kmodmgr("import-dkms", []).status == 0)
        #expect(try !root.kmodmgr("status", []).standardOutput.contains("hello/1.0"))
    }

    /// A module DKMS declined to install (its version check kept a same-named module) is not adopted from anywhere
    /// else: the in-tree file of that name is never taken for DKMS's (uninstall would delete the kernel's own).
    @Test func aModuleDKMSNeverInstalledIsNotTakenFromTheKernelsTree() throws {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        let inTree = try root.snapshot(try root.populateInTree(kernel))
        let dkms = RealDKMS(root: root)
        #expect(try dkms.install("shadow/1.0", kernel: kernel).status == 0)
        // What DKMS's refusal leaves: built, linked as installed, no file in updates/dkms.
        try FileManager.default.removeItem(at: root.directory.path("lib/modules/\(kernel)/updates/dkms/dummy.ko"))
        try run("depmod", ["-b", root.path, kernel])
        let imported = try root.kmodmgr("import-dkms", [])
        #expect(imported.status == 0 && imported.standardError.contains("DKMS never installed dummy.ko"), "\(imported.standardError)")
        #expect(try root.kmodmgr("uninstall", ["shadow/1.0", "-k", kernel]).status == 0)
        #expect(try root.agreement(kernel, inTree: inTree) == [], "the kernel's dummy.ko must be untouched")
    }

    /// A version DKMS built whose source is gone cannot be adopted: it is named, the rest is imported, exit 1.
    @Test func aVersionWithoutItsSourceIsNamedAndTheRestImported() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        let dkms = RealDKMS(root: root)
        #expect(try dkms.install("hello/1.0", kernel: kernel).status == 0)
        try dkms.placeSource("twin-1.0")
        #expect(try dkms.run(["add", "-m", "twin", "-v", "1.0"]).status == 0)
        try FileManager.default.removeItem(at: root.directory.path("usr/src/twin-1.0"))
        let imported = try root.kmodmgr("import-dkms", [])
        #expect(imported.status == 1)
        #expect(imported.standardError.contains("twin/1.0: not imported: /usr/src/twin-1.0: no dkms.conf"), "\(imported.standardError)")
        #expect(RealDKMS.triples(try root.kmodmgr("status", []).standardOutput) == ["hello/1.0 \(kernel) installed"])
    }
}

extension RealDKMS {
    /// A root with in-tree modules for its newest kernel with a module tree (`kernel`; `other` is another kernel with
    /// headers), which DKMS manages as `managing` leaves it.
    static func managedRoot() throws -> (
        root: LifecycleRoot, kernel: String, other: String, inTree: [String: [UInt8]], dkms: RealDKMS
    ) {
        let root = try LifecycleRoot()
        let kernel = try root.kernelWithModules()
        let other = root.kernels.first { $0 != kernel }!
        let inTree = try root.snapshot(try root.populateInTree(kernel))
        return (root, kernel, other, inTree, try managing(root, kernel: kernel, other: other))
    }

    /// DKMS managing three packages in `root`: hello installed for both kernels, shadow (named like the in-tree
    /// dummy.ko) installed for `kernel`, multi built for `kernel` only.
    static func managing(_ root: LifecycleRoot, kernel: String, other: String) throws -> RealDKMS {
        let dkms = RealDKMS(root: root)
        for (package, release) in [("hello/1.0", kernel), ("hello/1.0", other), ("shadow/1.0", kernel)] {
            let installed = try dkms.install(package, kernel: release)
            #expect(installed.status == 0, "dkms install \(package) -k \(release): \(installed.standardOutput)\(installed.standardError)")
        }
        try dkms.placeSource("multi-2.0")
        let built = try dkms.run(["build", "-m", "multi", "-v", "2.0", "-k", kernel])
        #expect(built.status == 0, "dkms build multi: \(built.standardOutput)\(built.standardError)")
        return dkms
    }
}

extension LifecycleRoot {
    /// Every regular file below `relative` (links not followed) with its SHA-256.
    func checksums(under relative: String) throws -> [String: String] {
        let found = try run("find", [directory.path(relative).path, "-type", "f", "-exec", "sha256sum", "{}", "+"])
        var sums = [String: String]()
        for line in found.standardOutput.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            sums[String(parts[1].drop { $0 == " " })] = String(parts[0])
        }
        return sums
    }
}

extension CrashSafetyTests {
    /// `import-dkms` killed at every step, from the same DKMS-managed root each time: running it again finishes it,
    /// and then everything agrees (state, files, index) and status equals `dkms status`.
    @Test func killedAtEveryStepOfADKMSImportARerunFinishesIt() throws {
        let (root, kernel, _, inTree, dkms) = try RealDKMS.managedRoot()
        let before = try dkms.statusTriples()
        let kills = try killAtEveryPoint(
            of: ["import-dkms"], in: root, kernel: kernel, inTree: inTree,
            prepare: { try? FileManager.default.removeItem(at: root.directory.path("var/lib/kmodmgr")) },
            next: { _ in ["import-dkms"] })
        #expect(kills.points > 40, "import-dkms passed fewer crash points than it has files and records to write")
        #expect(RealDKMS.triples(try root.kmodmgr("status", []).standardOutput) == before)
    }
}

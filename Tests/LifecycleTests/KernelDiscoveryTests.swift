import Foundation
import Kernels
import StateStore
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// Kernel facts from real headers, and the ABI digest that decides whether a build is stale.
struct KernelDiscoveryTests {
    @Test func realHeadersGiveReleaseArchCompilerAndModversions() throws {
        let root = try LifecycleRoot()
        let release = root.kernels.last!
        let kernel = try KernelInventory.kernel(release: release, root: Root(FilePath(root.path)))
        #expect(kernel.arch == "x86_64")
        // build -> /usr/src/linux-headers-KVER is resolved inside the root: the root's copy, not this machine's.
        #expect(kernel.buildDirectory == root.path + "/usr/src/linux-headers-\(release)")
        #expect(kernel.compiler?.hasPrefix("gcc") == true)
        #expect(kernel.hasModversions)
        #expect(kernel.config?.checksModuleSignatures == true)
        #expect(KernelInventory.releasesWithHeaders(root: Root(FilePath(root.path))) == root.kernels)
    }

    /// Headers reinstalled with the same release but other contents (a rebuilt kernel) must change the digest; a
    /// mere touch must not (but does change the cheap stamp `status` uses).
    @Test func theAbiDigestFollowsContentsNotReleaseOrTimestamps() throws {
        let work = try TemporaryDirectory()
        let headers = work.path("headers")
        try FileManager.default.createDirectory(at: headers.appendingPathComponent("include/generated"), withIntermediateDirectories: true)
        try "all:\n".write(to: headers.appendingPathComponent("Makefile"), atomically: true, encoding: .utf8)
        try "CONFIG_MODVERSIONS=y\nCONFIG_X86_64=y\n".write(
            to: headers.appendingPathComponent(".config"), atomically: true, encoding: .utf8)
        let symvers = headers.appendingPathComponent("Module.symvers")
        try "0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n".write(to: symvers, atomically: true, encoding: .utf8)
        let root = Root(FilePath(work.url.path))
        try FileManager.default.createDirectory(at: work.path("lib/modules/6.1.0-1-amd64"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: work.path("lib/modules/6.1.0-1-amd64/build").path, withDestinationPath: "/headers")

        let first = try KernelInventory.kernel(release: "6.1.0-1-amd64", root: root)
        let firstStamp = KernelInventory.headersStamp(buildDirectory: first.buildDirectory)
        Thread.sleep(forTimeInterval: 0.01)
        try "0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n".write(to: symvers, atomically: true, encoding: .utf8)
        let touched = try KernelInventory.kernel(release: "6.1.0-1-amd64", root: root)
        #expect(touched.headersDigest == first.headersDigest)
        #expect(KernelInventory.headersStamp(buildDirectory: touched.buildDirectory) != firstStamp)
        try "0x87654321\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n".write(to: symvers, atomically: true, encoding: .utf8)
        #expect(try KernelInventory.kernel(release: "6.1.0-1-amd64", root: root).headersDigest != first.headersDigest)
    }

    @Test func missingHeadersAndUnsafeReleasesAreRefused() throws {
        let work = try TemporaryDirectory()
        let root = Root(FilePath(work.url.path))
        #expect(throws: KernelError.self) { try KernelInventory.kernel(release: "../../etc", root: root) }
        do {
            _ = try KernelInventory.kernel(release: "6.1.0-99-amd64", root: root)
            Issue.record("no headers, no kernel")
        } catch {
            #expect(error.description.hasSuffix("(install linux-headers-6.1.0-99-amd64)"))
        }
    }

    @Test func recordsSurviveValuesWithNewlinesAndBackslashes() throws {
        var record = RecordFormat()
        record.append("reason", "line one\nline \\two")
        record.append("module", "a 00")
        record.append("module", "b 11")
        let parsed = try RecordFormat.parse(record.bytes, file: "/x")
        #expect(parsed == record)
        #expect(parsed.values("module") == ["a 00", "b 11"])
        #expect(String(decoding: record.bytes, as: UTF8.self).split(separator: "\n").count == 3)
        #expect(throws: StateError.self) { try RecordFormat.parse(Array("no equals sign\n".utf8), file: "/x") }
    }
}

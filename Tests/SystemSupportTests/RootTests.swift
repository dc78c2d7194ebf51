import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `Root`: every path of the managed system is taken under it, and links are followed the way the managed
/// system would follow them — absolute targets inside the root, `..` never above it.
@Suite struct RootTests {
    /// A root is normalised, and a relative one is taken against the working directory given.
    @Test func rootPathsAreNormalised() {
        #expect(Root("/srv/image/./x/../").path == "/srv/image")
        #expect(Root("images/one", workingDirectory: "/home/admin").path == "/home/admin/images/one")
        #expect(Root("../one", workingDirectory: "/home/admin").path == "/home/one")
        #expect(Root.system.path == "/")
        #expect(Root("/srv/image").description == "/srv/image")
    }

    /// `resolve` puts a system path under the root; `systemPath(of:)` takes it back out; paths outside the root are
    /// returned unchanged. With the root `/`, both are the identity.
    @Test func resolveAndSystemPathAreInverse() {
        let root = Root("/srv/image")
        #expect(root.resolve("/lib/modules") == "/srv/image/lib/modules")
        #expect(root.resolve("var/lib/kmodmgr") == "/srv/image/var/lib/kmodmgr")
        #expect(root.moduleDirectory(release: "6.1.0-57-amd64") == "/srv/image/lib/modules/6.1.0-57-amd64")
        #expect(root.systemPath(of: "/srv/image/var/lib/kmodmgr/x") == "/var/lib/kmodmgr/x")
        #expect(root.systemPath(of: "/srv/image") == "/")
        #expect(root.systemPath(of: "/srv/imageX/file") == "/srv/imageX/file")
        #expect(root.systemPath(of: "/elsewhere/file") == "/elsewhere/file")
        for path: FilePath in ["/lib/modules/6.1.0-1/kernel/a.ko", "/var/lib/kmodmgr/.lock", "/"] {
            #expect(root.systemPath(of: root.resolve(path)) == path.string)
            #expect(Root.system.resolve(path) == path)
            #expect(Root.system.systemPath(of: path) == path.string)
        }
    }

    /// `lib/modules/K/build -> /usr/src/linux-headers-K` resolves to the headers *inside* the root, even though this
    /// machine has no such directory; a relative link with `..` resolves too.
    @Test func absoluteLinksResolveInsideTheRoot() throws {
        let scratch = try TemporaryDirectory()
        let root = Root(scratch.filePath)
        let headers = root.resolve("/usr/src/linux-headers-9.9.9-test")
        try FileTree.makeDirectories(headers.appending("include"))
        try FileTree.makeDirectories(root.moduleDirectory(release: "9.9.9-test"))
        try makeLink("/usr/src/linux-headers-9.9.9-test", at: root.moduleDirectory(release: "9.9.9-test").appending("build"))
        try makeLink("../usr/src/linux-headers-9.9.9-test/include", at: root.resolve("/usr/include-link"))
        #expect(!FileManager.default.fileExists(atPath: "/usr/src/linux-headers-9.9.9-test"))

        #expect(root.resolvingLinks("/lib/modules/9.9.9-test/build") == .found(headers))
        #expect(root.resolvingLinks("/lib/modules/9.9.9-test/build/include") == .found(headers.appending("include")))
        #expect(root.resolvingLinks("/usr/include-link") == .found(headers.appending("include")))
        #expect(root.resolvingLinks("/lib/modules/9.9.9-test/./build/./include") == .found(headers.appending("include")))
        // `..` after a link applies to where the link led, as the kernel does it.
        #expect(root.resolvingLinks("/lib/modules/9.9.9-test/build/include/..") == .found(headers))
        #expect(
            root.resolvingLinks("/lib/modules/9.9.9-test/build/../build")
                == .missing(root.resolve("/usr/src/build"), through: "/lib/modules/9.9.9-test/build -> /usr/src/linux-headers-9.9.9-test"))
    }

    /// `..` stops at the root, whether written in the path or in a link's target (`chroot ROOT realpath`).
    @Test func dotDotIsClampedAtTheRoot() throws {
        let scratch = try TemporaryDirectory()
        let root = Root(scratch.filePath)
        try FileTree.makeDirectories(root.resolve("/etc/modprobe.d"))
        try FileTree.makeDirectories(root.resolve("/a/b"))
        try makeLink("../../../../../../../../etc", at: root.resolve("/a/b/up"))

        #expect(root.resolvingLinks("/../../../etc") == .found(root.resolve("/etc")))
        #expect(root.resolvingLinks("/a/b/up/modprobe.d") == .found(root.resolve("/etc/modprobe.d")))
        #expect(root.resolvingLinks("/a/../../..") == .found(scratch.filePath))
    }

    /// A link cycle ends as `.loop`, naming the link where the count ran out; a chain of exactly 40 links resolves
    /// and one of 41 does not — the kernel's own limit, checked by having the kernel open the same relative links.
    @Test func loopsAndTheFortyLinkLimit() throws {
        let scratch = try TemporaryDirectory()
        let root = Root(scratch.filePath)
        try makeLink("b", at: root.resolve("/a"))
        try makeLink("a", at: root.resolve("/b"))
        guard case .loop(let at) = root.resolvingLinks("/a/x") else {
            Issue.record("a <-> b: \(root.resolvingLinks("/a/x"))")
            return
        }
        #expect(at == root.resolve("/a") || at == root.resolve("/b"))

        try writeText("end", to: root.resolve("/target"))
        try makeLink("target", at: root.resolve("/l40"))
        for index in (0..<40).reversed() { try makeLink("l\(index + 1)", at: root.resolve(FilePath("/l\(index)"))) }
        // /l1 → … → /l40 → /target: 40 links; /l0 adds the 41st.
        #expect(root.resolvingLinks("/l1") == .found(root.resolve("/target")))
        #expect(root.resolvingLinks("/l0") == .loop(root.resolve("/l40")))
        let kernelOne = try run("cat", [root.resolve("/l1").string])
        let kernelZero = try run("cat", [root.resolve("/l0").string])
        #expect(kernelOne.status == 0 && kernelOne.standardOutput == "end")
        #expect(kernelZero.status != 0 && kernelZero.standardError.contains("Too many levels of symbolic links"))
    }

    /// A dangling link reports where the whole path would be (the rest appended to the link's target, inside the
    /// root) and which link led there; a plain missing component reports no link.
    @Test func missingPathsSayWhereTheyWouldBe() throws {
        let scratch = try TemporaryDirectory()
        let root = Root(scratch.filePath)
        try FileTree.makeDirectories(root.moduleDirectory(release: "9.9.9-test"))
        try makeLink("/usr/src/linux-headers-gone", at: root.moduleDirectory(release: "9.9.9-test").appending("build"))

        #expect(
            root.resolvingLinks("/lib/modules/9.9.9-test/build/include/./generated/../linux/module.h")
                == .missing(
                    root.resolve("/usr/src/linux-headers-gone/include/linux/module.h"),
                    through: "/lib/modules/9.9.9-test/build -> /usr/src/linux-headers-gone"))
        #expect(
            root.resolvingLinks("/lib/modules/0.0.0/kernel") == .missing(root.resolve("/lib/modules/0.0.0/kernel"), through: nil))
    }

    /// With the root `/`, resolution is the system's own: the same answer as `realpath` on a tree of links in a
    /// temporary directory.
    @Test func systemRootAgreesWithRealpath() throws {
        let scratch = try TemporaryDirectory()
        try FileTree.makeDirectories(scratch.filePath("real/deeper"))
        try makeLink(scratch.filePath("real").string, at: scratch.filePath("absolute"))
        try makeLink("real/deeper/..", at: scratch.filePath("relative"))
        for path in ["absolute/deeper", "relative/deeper", "absolute/../relative"] {
            let expected = try run("realpath", [scratch.filePath(path).string]).standardOutput
            #expect(Root.system.resolvingLinks(scratch.filePath(path)) == .found(FilePath(String(expected.dropLast()))), "\(path)")
        }
    }

    private func makeLink(_ target: String, at path: FilePath) throws {
        guard symlink(target, path.string) == 0 else { throw SystemError("symlink", path: path, errno: Errno(rawValue: errno)) }
    }
}

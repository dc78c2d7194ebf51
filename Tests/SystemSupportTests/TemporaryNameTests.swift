import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `TemporaryName`: every temp name kmodmgr makes reads back as what it is, with its maker's pid, and nothing that
/// merely resembles one does; `ownerIsRunning` tells a live kmodmgr from a dead process, a zombie and another program.
@Suite struct TemporaryNameTests {
    @Test func everyPatternReadsBackWithItsTargetAndPid() {
        let pid = getpid()
        let made: [(FilePath, TemporaryName.Pattern, String, Int)] = [
            (TemporaryName.make(.file, for: "/s/.journal/20260101T000000Z-7-1"), .file, "20260101T000000Z-7-1", 0),
            (TemporaryName.make(.setMember, for: "/m/modules.dep.bin", attempt: 3), .setMember, "modules.dep.bin", 3),
            (TemporaryName.make(.setPrevious, for: "/m/modules.alias"), .setPrevious, "modules.alias", 0),
            (TemporaryName.make(.directoryCopy, for: "/usr/src/hello-1.0"), .directoryCopy, "hello-1.0", 0),
            (
                TemporaryName.make(.partialResult, for: FilePath("/s/h/1.0/k/x/20260101T000000Z-\(pid)")), .partialResult,
                "20260101T000000Z-\(pid)", 0
            ),
        ]
        for (path, pattern, target, attempt) in made {
            let name = path.lastComponent!.string
            let parsed = TemporaryName.parse(name)
            #expect(parsed?.pattern == pattern, "\(name)")
            #expect(parsed?.target == target, "\(name)")
            #expect(parsed?.pid == pid, "\(name)")
            #expect(parsed?.attempt == attempt, "\(name)")
            #expect(parsed?.description == name)
            #expect(TemporaryName.owner(of: name) == pid)
        }
        #expect(TemporaryName.make(.file, for: "/a/b/hello.ko.xz") == FilePath("/a/b/hello.ko.xz.tmp-\(pid)"))
        #expect(TemporaryName.make(.setMember, for: "/m/modules.dep") == FilePath("/m/modules.dep.kmodmgr-\(pid)-0.tmp"))
        #expect(TemporaryName.make(.setPrevious, for: "/m/modules.dep") == FilePath("/m/modules.dep.kmodmgr-\(pid)-previous"))
        #expect(TemporaryName.make(.directoryCopy, for: "/usr/src/x-1") == FilePath("/usr/src/x-1.kmodmgr-tmp-\(pid)"))
        // A name that ends like one pattern inside another is read as the outer one.
        #expect(TemporaryName.parse("a.tmp-5.tmp-6")?.target == "a.tmp-5")
        #expect(TemporaryName.parse("x.kmodmgr-tmp-12")?.pattern == .directoryCopy)
    }

    @Test func lookAlikesAreNotTempNames() {
        let names = [
            "record", "record.tmp", "record.tmp-", "record.tmp-0", "record.tmp-012", "record.tmp-12x", "record.tmp--12",
            "record.tmp-99999999999", ".tmp-12", "record.TMP-12", "modules.kmodmgr-cache.bin", "modules.dep.kmodmgr-note",
            "modules.dep.kmodmgr-12-x.tmp", "modules.dep.kmodmgr--0.tmp", "modules.dep.kmodmgr-0-0.tmp", ".kmodmgr-12-0.tmp",
            "modules.dep.kmodmgr-12-previous-", "x.kmodmgr-tmp-", "x.kmodmgr-tmp-01", "20260101T000000Z-12", "1.0.partial",
            "20260101T000000Z.partial", "2026010T000000Z-12.partial", "20260101T000000Z-0.partial", "x20260101T000000Z-1.partial",
            "20260101T000000Z-1-1", "hello.ko", "hello.ko.xz",
        ]
        for name in names { #expect(TemporaryName.parse(name) == nil, "\(name)") }
    }

    @Test func aLiveKmodmgrOwnsItsTempsAndNothingElseDoes() throws {
        let scratch = try TemporaryDirectory()
        // A live process that is not a kmodmgr (this test), a dead one, and one whose executable is named kmodmgr.
        #expect(!TemporaryName.ownerIsRunning(getpid()))
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        #expect(!TemporaryName.ownerIsRunning(finished.processIdentifier))
        #expect(!TemporaryName.ownerIsRunning(0))
        #expect(!TemporaryName.ownerIsRunning(-1))

        let kmodmgr = scratch.filePath("kmodmgr")
        #expect(link("/bin/sleep", kmodmgr.string) == 0 || symlink("/bin/sleep", kmodmgr.string) == 0)
        let named = Process()
        named.executableURL = URL(fileURLWithPath: kmodmgr.string)
        named.arguments = ["30"]
        try named.run()
        defer {
            kill(named.processIdentifier, SIGKILL)
            named.waitUntilExit()
        }
        #expect(TemporaryName.ownerIsRunning(named.processIdentifier))

        // A zombie (exited, not yet reaped) is gone, whatever its name.
        var child: pid_t = 0
        let arguments = [strdup(kmodmgr.string), strdup("0"), nil]
        defer { for argument in arguments { free(argument) } }
        #expect(posix_spawn(&child, kmodmgr.string, nil, nil, arguments, environ) == 0)
        #expect(processEnds(child, within: 10))
        #expect(!TemporaryName.ownerIsRunning(child))
        var status: Int32 = 0
        #expect(waitpid(child, &status, 0) == child)
    }
}

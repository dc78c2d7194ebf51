import Codecs
import Foundation
import TestSupport
import Testing

/// Bad input gets one line naming the file and a non-zero exit; good arguments around it are still shown.
@Suite struct BadInputTests {
    @Test func eachBadFileGetsOneLineNamingIt() throws {
        let scratch = try TemporaryDirectory()
        let module = try InstalledKernel.find().sample(2)[1]
        let plain = try bytes(of: module)
        try write(Array("just text\n".utf8), to: scratch.path("text.ko"))
        let packed = try Codec.compress(plain, to: .xz)
        try write(Array(packed.prefix(packed.count / 2)), to: scratch.path("truncated.ko.xz"))
        try write(Array(plain.prefix(2000)), to: scratch.path("short.ko"))
        let cases: [(String, String)] = [
            (
                scratch.path("missing.ko").path,
                "kmodmgr: error: cannot read '\(scratch.path("missing.ko").path)': No such file or directory"
            ),
            (scratch.path("text.ko").path, "kmodmgr: error: '\(scratch.path("text.ko").path)': not a kernel module: not an ELF file"),
            (
                scratch.path("truncated.ko.xz").path,
                "kmodmgr: error: '\(scratch.path("truncated.ko.xz").path)': truncated xz data: the stream ends before its end marker"
            ),
            (scratch.url.path + "/", "kmodmgr: error: cannot read '\(scratch.url.path)': Is a directory"),
        ]
        for (argument, message) in cases {
            let result = try kmodmgr(["modinfo", argument])
            #expect(result.status == 1, "\(argument)")
            #expect(result.standardError == message + "\n")
            #expect(result.stdout.isEmpty)
        }
        let short = try kmodmgr(["modinfo", scratch.path("short.ko").path])
        #expect(
            short.status == 1
                && short.standardError.hasPrefix(
                    "kmodmgr: error: '\(scratch.path("short.ko").path)': not a kernel module: malformed ELF header")
        )
        #expect(short.standardError.split(separator: "\n").count == 1)

        // A bad argument does not hide the good ones, but the exit status reports it.
        let mixed = try kmodmgr(["modinfo", "-F", "name", scratch.path("text.ko").path, module.path])
        #expect(mixed.status == 1 && !mixed.stdout.isEmpty && mixed.standardError.split(separator: "\n").count == 1)
    }

    @Test func usageErrorsUseExitCode64() throws {
        let result = try kmodmgr(["modinfo"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("Missing expected argument"))
    }

    /// A decompression bomb (400 MB of zeros in a few KB of xz, zstd or gzip named like a module) is refused at
    /// the size a module can be, with one line naming the file, after at most about one and a half times that in
    /// memory (peak RSS measured by GNU time).
    @Test(arguments: [("xz", ["-T1", "-0", "-C", "crc32"]), ("zst", ["-q", "-3"]), ("gz", ["-1"])])
    func decompressionBombsAreRefusedAtAModulesSize(_ suffix: String, _ options: [String]) throws {
        let directory = try TemporaryDirectory()
        let bomb = directory.path("bomb.ko.\(suffix)")
        let tool = ["xz": "xz", "zst": "zstd", "gz": "gzip"][suffix]!
        let made = try run(
            "/bin/sh", ["-c", "head -c 400000000 /dev/zero | \(tool) \(options.joined(separator: " ")) > \"$1\"", "sh", bomb.path])
        #expect(made.status == 0, "\(made.standardError)")
        let measured = try run("/usr/bin/time", ["-f", "peak %M", try kmodmgrBinary(), "modinfo", bomb.path])
        #expect(measured.status == 1)
        #expect(measured.standardError.contains("'\(bomb.path)': "), "\(measured.standardError)")
        #expect(measured.standardError.contains("data expands past the 256 MiB limit"), "\(measured.standardError)")
        let peak = measured.standardError.split(separator: "\n").last { $0.hasPrefix("peak ") }.flatMap { Int($0.dropFirst(5)) }
        #expect((peak ?? .max) < 600_000, "peak RSS \(peak ?? -1) KB")
    }
}

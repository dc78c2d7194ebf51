import Foundation
import TestSupport
import Testing

/// `kmodmgr modinfo` against kmod's `modinfo`, byte for byte, over real modules in every compressed form.
@Suite(.serialized) struct ModinfoParityTests {
    static let sampleSize = 240

    /// Copies of `sampleSize` real modules (plain, signed by Debian) with `.ko.xz`, `.ko.zst` and `.ko.gz`
    /// siblings made by the real `xz`, `zstd` and `gzip` commands.
    final class Fixture: @unchecked Sendable {
        let scratch: TemporaryDirectory
        let plain: [URL]

        init() throws {
            scratch = try TemporaryDirectory()
            var plain = [URL]()
            for (index, module) in try InstalledKernel.find().sample(ModinfoParityTests.sampleSize).enumerated() {
                let copy = scratch.path("\(index)-\(module.lastPathComponent)")
                try FileManager.default.copyItem(at: module, to: copy)
                plain.append(copy)
            }
            self.plain = plain
            let paths = plain.map(\.path)
            try run("xz", ["-k", "--check=crc32", "--lzma2=dict=1MiB"] + paths)
            try run("zstd", ["-q", "-k"] + paths)
            try run("gzip", ["-n", "-k"] + paths)
        }

        func files(_ suffix: String) -> [String] { plain.map { $0.path + suffix } }
    }

    static let fixture = Result { try Fixture() }

    func expectIdentical(
        _ arguments: [String], files: [String], minimumBytesPerFile: Int = 100, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let ours = try kmodmgr(["modinfo"] + arguments + files)
        let theirs = try run("modinfo", arguments + files)
        #expect(ours.status == 0 && theirs.status == 0, "\(ours.standardError)", sourceLocation: sourceLocation)
        #expect(
            ours.stdout == theirs.stdout, "differs: \(firstDifference(ours.standardOutput, theirs.standardOutput))",
            sourceLocation: sourceLocation)
        #expect(ours.stdout.count >= files.count * minimumBytesPerFile, sourceLocation: sourceLocation)
    }

    @Test(arguments: ["", ".xz", ".zst"])
    func fullOutputIsByteIdentical(suffix: String) throws {
        try expectIdentical([], files: try Self.fixture.get().files(suffix))
    }

    @Test(arguments: [
        ["-F", "alias"], ["-F", "parm"], ["-F", "filename"], ["-F", "signature"], ["-F", "vermagic"], ["-0"],
        ["-F", "depends", "-0"],
    ])
    func fieldSelectionIsByteIdentical(arguments: [String]) throws {
        // Not every module has every field, but across 80 of them each field shows up.
        try expectIdentical(arguments, files: Array(try Self.fixture.get().files(".xz").prefix(80)), minimumBytesPerFile: 2)
    }

    /// Debian's kmod cannot read `.ko.gz`; ours gives what modinfo gives for the decompressed module.
    @Test func gzipModulesShowWhatTheirPlainFormShows() throws {
        let fixture = try Self.fixture.get()
        let ours = try kmodmgr(["modinfo"] + fixture.files(".gz"))
        let theirs = try run("modinfo", fixture.files(""))
        #expect(ours.status == 0)
        let expected = theirs.standardOutput.replacingOccurrences(of: ".ko\n", with: ".ko.gz\n")
        #expect(ours.standardOutput == expected, "differs: \(firstDifference(ours.standardOutput, expected))")
    }

    @Test func signedByAnotherKeyIsByteIdentical() throws {
        let fixture = try Self.fixture.get()
        let signer = try ModuleSigner(commonName: "Another key", digest: "sha512")
        var signed = [String]()
        for (index, module) in fixture.plain.prefix(20).enumerated() {
            let copy = fixture.scratch.path("resigned-\(index).ko")
            try write(try signer.sign(try bytes(of: module)), to: copy)
            signed.append(copy.path)
        }
        try expectIdentical([], files: signed)
    }

    @Test func optionsMayFollowTheModules() throws {
        let files = Array(try Self.fixture.get().files("").prefix(3))
        let ours = try kmodmgr(["modinfo"] + files + ["-F", "alias"])
        let theirs = try run("modinfo", files + ["-F", "alias"])
        #expect(ours.status == 0 && ours.stdout == theirs.stdout && !ours.stdout.isEmpty)
    }

    @Test func relativePathsAreShownAsModinfoShowsThem() throws {
        let fixture = try Self.fixture.get()
        let names = fixture.plain.prefix(5).map(\.lastPathComponent)
        let ours = try kmodmgr(["modinfo", "-F", "filename"] + names.map { "./" + $0 }, in: fixture.scratch.url)
        let theirs = try run("modinfo", ["-F", "filename"] + names.map { "./" + $0 }, in: fixture.scratch.url)
        #expect(ours.stdout == theirs.stdout)
    }
}

/// Where two texts first differ, with a little context, for a readable failure message.
func firstDifference(_ a: String, _ b: String) -> String {
    let left = Array(a.utf8), right = Array(b.utf8)
    let common = min(left.count, right.count)
    guard let index = (0..<common).first(where: { left[$0] != right[$0] }) ?? (left.count == right.count ? nil : common)
    else { return "none" }
    let start = max(0, index - 80)
    return
        "at byte \(index): ours «\(String(decoding: left[start..<min(left.count, index + 80)], as: UTF8.self))» theirs «\(String(decoding: right[start..<min(right.count, index + 80)], as: UTF8.self))»"
}

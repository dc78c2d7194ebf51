import DKMSConf
import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// Thousands of damaged corpus files through the native parser: each gives a manifest or a located error, never a
/// crash or a hang.
@Suite struct FuzzTests {
    /// SplitMix64: a fixed seed makes every run try the same files.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let insertions: [[UInt8]] = [
        "'", "\"", "\\", "$", "\n", "${", "$(", "`", "[", "]", "=", "#", ";", "(", ")", "\r\n", "\\\n", "$'", " ", "\0", "\u{FF}",
    ].map { Array($0.utf8) }

    static func mutate(_ bytes: [UInt8], using generator: inout Generator) -> [UInt8] {
        var result = bytes
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            guard !result.isEmpty else { break }
            let position = Int.random(in: 0..<result.count, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: result[position] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            case 1: result = Array(result.prefix(position))
            case 2: result.insert(contentsOf: insertions.randomElement(using: &generator)!, at: position)
            default: result.remove(at: position)
            }
        }
        return result
    }

    @Test func mutatedCorpusFilesGiveManifestsOrLocatedErrors() async throws {
        let originals = try DebianCorpus.packages().map { try [UInt8](Data(contentsOf: $0.dkmsConf)) }
        var generator = Generator(state: 20_261_121)
        var outcomes = (manifests: 0, located: 0, other: 0)
        let file: FilePath = "/src/fuzz-1/dkms.conf"
        for round in 0..<4000 {
            let original = originals[round % originals.count]
            let bytes = Self.mutate(original, using: &generator)
            let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
            do {
                _ = try await ManifestLoader.load(
                    contents: bytes, of: file, environment: plainEnvironment, shell: .forbidden, diagnostics: CollectingDiagnosticSink())
                outcomes.manifests += 1
            } catch {
                #expect(error.file == file)
                #expect(!error.description.contains("\n"))
                switch error.kind {
                case .syntax, .shellForbidden:
                    let line = try #require(error.line)
                    let column = try #require(error.column)
                    #expect(line >= 1 && line <= lines && column >= 1, "\(error)")
                    outcomes.located += 1
                default:
                    outcomes.other += 1
                }
            }
        }
        // The mutations must exercise every outcome, or the test proves nothing.
        #expect(outcomes.manifests > 100 && outcomes.located > 100 && outcomes.other > 10, "\(outcomes)")
    }
}

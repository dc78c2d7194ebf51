import Foundation
import ModuleELF
import TestSupport
import Testing

/// Malformed and hostile module images: a typed error or a result, never a crash or a hang.
@Suite struct MalformedInputTests {
    func realModule(_ index: Int = 0) throws -> [UInt8] {
        try bytes(of: try InstalledKernel.find().sample(8)[index])
    }

    @Test func notELF() throws {
        #expect(throws: ModuleELFError.notELF) { try KernelModule.parse([]) }
        #expect(throws: ModuleELFError.notELF) { try KernelModule.parse(Array("#!/bin/sh\necho hi\n".utf8)) }
        #expect(throws: ModuleELFError.notELF) { try KernelModule.parse([0x7F, 0x45, 0x4C, 0x46]) }
    }

    @Test func truncatedHeaderAndSectionTable() throws {
        let module = stripSignature(try realModule())
        // Modules keep their section table at the end: any cut into it must be refused.
        for length in [16, 40, 63, 64, module.count / 2, module.count - 1] {
            #expect(throws: ModuleELFError.self, "truncated to \(length)") { try KernelModule.parse(Array(module.prefix(length))) }
        }
    }

    @Test func sectionTableOffsetOutOfRange() throws {
        var module = try realModule()
        // e_shoff (ELF64: bytes 40..<48) pointing past the end of the file.
        for index in 40..<48 { module[index] = 0xFF }
        #expect(throws: ModuleELFError.self) { try KernelModule.parse(module) }
    }

    @Test func wrongSectionHeaderSize() throws {
        var module = try realModule()
        module[58] = 32  // e_shentsize
        #expect(throws: ModuleELFError.malformedHeader("section header size 32, expected 64")) { try KernelModule.parse(module) }
    }

    /// A few thousand mutated and truncated copies of real modules. Each parse must end in a result or a
    /// `ModuleELFError`; the whole run has a generous bound that only a hang would break.
    @Test func fuzzMutatedAndTruncatedModules() throws {
        var generator = SeededGenerator(seed: 0x6b6d6f64)
        let originals = try (0..<3).map { try realModule($0 * 3) }
        let clock = ContinuousClock()
        let started = clock.now
        var outcomes = (parsed: 0, rejected: 0)
        for iteration in 0..<3000 {
            var image = originals[iteration % originals.count]
            switch iteration % 4 {
            case 0:  // flip bytes anywhere
                for _ in 0..<Int.random(in: 1...16, using: &generator) {
                    image[Int.random(in: 0..<image.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            case 1:  // flip bytes in the headers and section table, where offsets live
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    let target =
                        Bool.random(using: &generator)
                        ? Int.random(in: 0..<64, using: &generator)
                        : max(0, image.count - Int.random(in: 1...4096, using: &generator))
                    image[min(target, image.count - 1)] = UInt8.random(in: 0...255, using: &generator)
                }
            case 2:  // truncate
                image = Array(image.prefix(Int.random(in: 0..<image.count, using: &generator)))
            default:  // both
                image = Array(image.prefix(Int.random(in: 64..<image.count, using: &generator)))
                image[Int.random(in: 0..<64, using: &generator)] ^= 0xFF
            }
            do {
                _ = try KernelModule.parse(image)
                outcomes.parsed += 1
            } catch {
                outcomes.rejected += 1
            }
        }
        #expect(outcomes.rejected > 500, "truncations must be rejected: \(outcomes)")
        #expect(clock.now - started < .seconds(240))
    }
}

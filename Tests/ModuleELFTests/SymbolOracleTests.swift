import Codecs
import Foundation
import KmodBridge
import ModuleELF
import SystemPackage
import TestSupport
import Testing

/// Exports, imports and CRCs of real modules against binutils (`nm`, `objcopy`) and libkmod.
@Suite struct SymbolOracleTests {
    static let sampleSize = 300

    /// `nm -A -P -p` (symtab order) over all `files` at once: per file, its undefined symbols with weakness and
    /// its `__crc_` symbols.
    func nmSymbols(_ files: [URL]) throws -> [String: (undefined: [(String, Bool)], crcs: [String])] {
        let result = try run("nm", ["-A", "-P", "-p"] + files.map(\.path))
        #expect(result.status == 0, "nm: \(result.standardError)")
        var table = [String: (undefined: [(String, Bool)], crcs: [String])]()
        for line in result.standardOutput.split(separator: "\n") {
            guard let colon = line.range(of: ": ") else { continue }
            let file = String(line[..<colon.lowerBound])
            let fields = line[colon.upperBound...].split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2 else { continue }
            let (name, type) = (String(fields[0]), fields[1])
            var entry = table[file] ?? ([], [])
            if type == "U" || type == "w" || type == "v" { entry.undefined.append((name, type != "U")) }
            if name.hasPrefix("__crc_") { entry.crcs.append(String(name.dropFirst(6))) }
            table[file] = entry
        }
        return table
    }

    /// The raw `__versions` section as `objcopy` extracts it, decoded here: 64-byte entries, 8-byte LE CRC.
    func objcopyVersions(_ file: URL, scratch: TemporaryDirectory) throws -> [SymbolVersion] {
        let out = scratch.path("versions.bin")
        try? FileManager.default.removeItem(at: out)
        try run("objcopy", ["-O", "binary", "--only-section=__versions", file.path, out.path])
        guard let raw = try? bytes(of: out) else { return [] }
        return stride(from: 0, to: raw.count, by: 64).map { start in
            let crc = raw[start..<start + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let name = raw[(start + 8)..<(start + 64)].prefix { $0 != 0 }
            return SymbolVersion(name: String(decoding: name, as: UTF8.self), crc: crc)
        }
    }

    @Test func importsAndExportsMatchNm() throws {
        let files = try InstalledKernel.find().sample(Self.sampleSize)
        let nm = try nmSymbols(files)
        var modulesWithImports = 0
        for file in files {
            let module = try KernelModule.parse(try bytes(of: file))
            let expected = nm[file.path] ?? ([], [])
            let fromSymtab = module.imports.prefix(expected.undefined.count)
            #expect(fromSymtab.map(\.name) == expected.undefined.map(\.0), "\(file.path)")
            #expect(fromSymtab.map { $0.binding == .weak } == expected.undefined.map(\.1), "\(file.path)")
            #expect(
                module.exports.map(\.name) == expected.crcs || (expected.crcs.isEmpty && module.exports.allSatisfy { $0.crc == nil }),
                "\(file.path)")
            if !module.imports.isEmpty { modulesWithImports += 1 }
        }
        #expect(modulesWithImports > Self.sampleSize / 2)
    }

    @Test func versionsMatchTheRawSection() throws {
        let scratch = try TemporaryDirectory()
        var total = 0
        for file in try InstalledKernel.find().sample(Self.sampleSize / 3) {
            let module = try KernelModule.parse(try bytes(of: file))
            let raw = try objcopyVersions(file, scratch: scratch)
            #expect(module.versions == raw, "\(file.path)")
            // Every import from the symtab carries the CRC __versions gives its name.
            let crcs = Dictionary(raw.map { ($0.name, $0.crc) }, uniquingKeysWith: { first, _ in first })
            for symbol in module.imports { #expect(symbol.crc == crcs[symbol.name] ?? 0, "\(file.path) \(symbol.name)") }
            total += raw.count
        }
        #expect(total > 1000)
    }

    @Test func everythingMatchesLibkmod() throws {
        let kernel = try InstalledKernel.find()
        let context = try KmodContext(moduleDirectory: FilePath(kernel.moduleDirectory.path))
        for file in kernel.sample(Self.sampleSize) {
            let path = FilePath(file.path)
            let module = try KernelModule.parse(try bytes(of: file))
            #expect(
                module.versions.map { "\($0.name) \($0.crc)" } == (try context.versions(ofModuleAt: path)).map { "\($0.name) \($0.crc)" })
            let exports = try context.exports(ofModuleAt: path)
            #expect(module.exports.map { "\($0.name) \($0.crc ?? 0)" } == exports.map { "\($0.name) \($0.crc)" }, "\(file.path)")
            let imports = try context.imports(ofModuleAt: path)
            #expect(
                module.imports.map { "\($0.name) \($0.crc) \($0.binding == .weak ? "W" : "U")" }
                    == imports.map { "\($0.name) \($0.crc) \($0.binding.map(String.init) ?? "?")" }, "\(file.path)")
            #expect(
                module.infoFields.map { "\($0.key)=\($0.value)" } == (try context.info(ofModuleAt: path)).map { "\($0.key)=\($0.value)" })
        }
    }
}

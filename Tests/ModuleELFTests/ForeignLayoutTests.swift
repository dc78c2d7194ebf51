import Foundation
import KmodBridge
import ModuleELF
import SystemPackage
import TestSupport
import Testing

/// ELF32 and big-endian modules — layouts no x86-64 kernel tree has — read by ModuleELF and by libkmod alike.
@Suite struct ForeignLayoutTests {
    static let layouts = [(false, false), (false, true), (true, false), (true, true)]

    @Test(arguments: layouts)
    func classAndByteOrderAreReadAsLibkmodReadsThem(is64Bit: Bool, bigEndian: Bool) throws {
        let synthetic = SyntheticModule(
            is64Bit: is64Bit, bigEndian: bigEndian,
            modinfo: ["license=GPL", "name=foreign", "vermagic=6.1.0 SMP mod_unload modversions ", "depends=", "flag"],
            versions: [("module_layout", 0x1234_5678), ("printk_like", 0xDEAD_BEEF), ("weak_hook", 0x0BAD_F00D)],
            exports: [("foreign_api", 0xCAFE_F00D), ("foreign_other", 0x0000_0001)],
            imports: [("printk_like", false), ("weak_hook", true)])
        let image = synthetic.bytes()
        let module = try KernelModule.parse(image)
        #expect(module.is64Bit == is64Bit && module.isBigEndian == bigEndian)
        #expect(
            module.modinfo.map { "\($0.key)=\($0.value)" }
                == ["license=GPL", "name=foreign", "vermagic=6.1.0 SMP mod_unload modversions ", "depends=", "flag="])
        #expect(module.versions.map(\.crc) == [0x1234_5678, 0xDEAD_BEEF, 0x0BAD_F00D])
        #expect(module.exports == [ExportedSymbol(name: "foreign_api", crc: 0xCAFE_F00D), ExportedSymbol(name: "foreign_other", crc: 1)])
        #expect(
            module.imports == [
                ImportedSymbol(name: "printk_like", crc: 0xDEAD_BEEF, binding: .strong),
                ImportedSymbol(name: "weak_hook", crc: 0x0BAD_F00D, binding: .weak),
                ImportedSymbol(name: "module_layout", crc: 0x1234_5678, binding: .strong),
            ])

        // libkmod, an independent reader, agrees on every list.
        let scratch = try TemporaryDirectory()
        let file = scratch.path("foreign.ko")
        try write(image, to: file)
        let path = FilePath(file.path)
        let context = try KmodContext(moduleDirectory: FilePath(scratch.url.path))
        #expect(try context.info(ofModuleAt: path).map { "\($0.key)=\($0.value)" } == module.modinfo.map { "\($0.key)=\($0.value)" })
        #expect(try context.versions(ofModuleAt: path).map { "\($0.name) \($0.crc)" } == module.versions.map { "\($0.name) \($0.crc)" })
        #expect(try context.exports(ofModuleAt: path).map { "\($0.name) \($0.crc)" } == module.exports.map { "\($0.name) \($0.crc ?? 0)" })
        #expect(
            try context.imports(ofModuleAt: path).map { "\($0.name) \($0.crc) \($0.binding.map(String.init) ?? "")" }
                == module.imports.map { "\($0.name) \($0.crc) \($0.binding == .weak ? "W" : "U")" })
    }
}

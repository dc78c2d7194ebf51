import Codecs
import Foundation
import KmodBridge
import ModuleELF
import SystemPackage
import TestSupport
import Testing

/// What Codecs writes is what libkmod (and so modprobe) can read: the same module info comes back.
@Suite struct LibkmodReadsOurCompressionTests {
    @Test(arguments: [CompressionFormat.xz, .zstd])
    func libkmodReadsCompressedModules(format: CompressionFormat) throws {
        let kernel = try InstalledKernel.find()
        let scratch = try TemporaryDirectory()
        let context = try KmodContext(moduleDirectory: FilePath(kernel.moduleDirectory.path))
        for (index, file) in kernel.sample(6).enumerated() {
            let plain = try bytes(of: file)
            let packed = scratch.path("m\(index).ko\(format.fileExtension)")
            try write(try Codec.compress(plain, to: format), to: packed)
            let theirs = try context.info(ofModuleAt: FilePath(packed.path)).map { "\($0.key)=\($0.value)" }
            let ours = try KernelModule.parse(plain).infoFields.map { "\($0.key)=\($0.value)" }
            #expect(theirs == ours && !ours.isEmpty, "\(file.path)")
        }
    }
}

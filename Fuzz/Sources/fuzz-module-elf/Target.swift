import FuzzSupport
import ModuleELF

// A kernel module image through `KernelModule.parse`: the ELF header and section table (libelf, then kmodmgr's own
// bounds-checked decoding), `.modinfo`, `__versions`, the symbol table (exports from `__crc_*` or
// `__ksymtab_strings`, imports matched to `__versions`) and the appended signature (the info block, and for PKCS#7
// the DER message through swift-asn1: PKCS7Signer).
//
// Invariant besides "no crash": the parts are read independently, so reading only some of them gives the same
// values as reading all (what `modinfo` and the depmod indexer each ask for).

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzzing.bytes(data, size)
    let all: KernelModule
    do {
        all = try KernelModule.parse(bytes, parts: .all)
    } catch {
        _ = error.description
        return 0
    }
    _ = all.modinfoValue("vermagic")
    do {
        let modinfo = try KernelModule.parse(bytes, parts: [.modinfo])
        Fuzzing.require(modinfo.modinfo == all.modinfo, "modinfo alone differs from modinfo with everything")
        Fuzzing.require(modinfo.hasSignatureTrailer == all.hasSignatureTrailer, "the signature trailer depends on the parts read")
        Fuzzing.require(modinfo.signature == nil, "a signature was read without being asked for")
    } catch {
        Fuzzing.require(false, "modinfo alone fails (\(error)) where reading everything succeeds")
    }
    do {
        let symbols = try KernelModule.parse(bytes, parts: [.symbols, .signature])
        Fuzzing.require(symbols.modinfo.isEmpty, "modinfo was read without being asked for")
        Fuzzing.require(symbols.exports == all.exports, "exports depend on the parts read")
        Fuzzing.require(symbols.imports == all.imports, "imports depend on the parts read")
        Fuzzing.require(symbols.versions == all.versions, "__versions depends on the parts read")
        Fuzzing.require(symbols.hasVersionsSection == all.hasVersionsSection, "the __versions flag depends on the parts read")
        Fuzzing.require(symbols.signature == all.signature, "the signature depends on the parts read")
    } catch {
        Fuzzing.require(false, "symbols alone fail (\(error)) where reading everything succeeds")
    }
    return 0
}

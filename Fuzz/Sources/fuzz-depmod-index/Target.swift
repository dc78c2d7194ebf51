import DepmodIndex
import FuzzSupport

// A depmod `.bin` index (modules.dep.bin, modules.alias.bin, modules.symbols.bin, modules.builtin*.bin) through
// `IndexReader`: the header, then every node of the trie — prefixes, child tables, value lists — from offsets that
// come from the file. kmodmgr reads back every index it writes with it, and any kmod version's index too.
//
// Besides "no crash, no hang": reading the same bytes again gives the same entries (the reader keeps no state).

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzzing.bytes(data, size)
    do throws(IndexFormatError) {
        let entries = try IndexReader(bytes).entries()
        let again = try IndexReader(bytes).entries()
        Fuzzing.require(again == entries, "reading the same index twice gives other entries")
    } catch {
        _ = error.description
    }
    return 0
}

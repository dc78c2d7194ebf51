import FuzzSupport
import StateStore
import SystemPackage

// The state tree's records: `RecordFormat.parse` (key=value lines, `\n` and `\\` escapes), then each record type
// built on it, as `StateStore` reads them from /var/lib/kmodmgr — the package record, a build record, an install
// record and a journal (the one record read back after a crash to finish an install or uninstall).
//
// Invariants besides "no crash": the text form round-trips — what `parse` gives, written out with `bytes`, parses
// back to the same fields — and a malformed line is reported with a line number inside the text.

private let file: FilePath = "/var/lib/kmodmgr/fuzz/1.0/record"

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzzing.bytes(data, size)
    let record: RecordFormat
    do {
        record = try RecordFormat.parse(bytes, file: file)
    } catch {
        if case .malformedRecord(_, let line, _) = error {
            let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
            Fuzzing.require(line >= 1 && line <= lines, "line \(line) of \(lines): \(error)")
        }
        _ = error.description
        return 0
    }
    do {
        let again = try RecordFormat.parse(record.bytes, file: file)
        Fuzzing.require(again == record, "the record changes through its text form: \(record.fields) became \(again.fields)")
    } catch {
        Fuzzing.require(false, "the text form of a parsed record does not parse: \(error)")
    }
    do { _ = try PackageRecord(record, file: file) } catch { _ = error.description }
    do { _ = try BuildRecord(record, file: file) } catch { _ = error.description }
    do { _ = try InstallRecord(record, file: file) } catch { _ = error.description }
    do { _ = try Journal(record, file: file) } catch { _ = error.description }
    return 0
}

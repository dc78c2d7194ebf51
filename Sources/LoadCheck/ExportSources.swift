import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Where a kernel's exports come from when its headers' `Module.symvers` is not there — a server that got its
/// modules from a package, a bundle without headers: the running kernel's `/proc/kallsyms` (every export has a
/// `__ksymtab_NAME` entry; a loaded module's carry `[module]`), and the index's `modules.symbols` (what each
/// installed module exports, as depmod wrote it). Neither tells CRCs, GPL-only flags or namespaces: those
/// checks are then left out, never guessed.
extension KernelSymbolTable {
    /// The exports `/proc/kallsyms` names, when `release` is the running kernel's; nil otherwise or unreadable.
    static func runningKernelExports(release: String, only wanted: Set<String>?) -> KernelSymbolTable? {
        guard release == RunningKernel.release, let bytes = try? FileBytes.read("/proc/kallsyms") else { return nil }
        var table = KernelSymbolTable(nameSource: true)
        let prefix = Array("__ksymtab_".utf8)
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            // "ffffffff81000000 r __ksymtab_printk" or "… r __ksymtab_foo\t[module]"
            let fields = line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
            guard fields.count >= 3, fields[2].starts(with: prefix) else { continue }
            let name = String(decoding: fields[2].dropFirst(prefix.count), as: UTF8.self)
            if let wanted, !wanted.contains(name) { continue }
            let owner =
                fields.count >= 4 ? String(decoding: fields[3].dropFirst().dropLast(), as: UTF8.self) : "vmlinux"
            table.add(name, Export(crc: nil, owner: owner, gplOnly: false, namespace: nil))
        }
        return table
    }

    /// Adds what `modules.symbols` (`alias symbol:NAME MODULE` per line) says the index's modules export, where
    /// the table has no entry yet.
    mutating func addIndexedExports(_ bytes: [UInt8], only wanted: Set<String>?) {
        let prefix = Array("alias symbol:".utf8)
        for line in bytes.split(separator: UInt8(ascii: "\n")) where line.starts(with: prefix) {
            let rest = line.dropFirst(prefix.count)
            guard let space = rest.firstIndex(of: UInt8(ascii: " ")) else { continue }
            let name = String(decoding: rest[..<space], as: UTF8.self)
            if let wanted, !wanted.contains(name) { continue }
            guard exports[name] == nil else { continue }
            let module = String(decoding: rest[(space + 1)...], as: UTF8.self)
            add(name, Export(crc: nil, owner: module, gplOnly: false, namespace: nil))
        }
    }
}

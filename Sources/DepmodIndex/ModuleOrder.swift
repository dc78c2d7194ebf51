/// The order modules are listed in, which decides the line order of `modules.dep`, `.alias`, `.softdep` and
/// `.devname` and every priority in the `.bin` files (docs/depmod-index.md, Module order).
enum ModuleOrder {
    /// `modules` in kmod's hash order, then stably re-sorted so the ones `modules.order` lists come first, in its
    /// order. A missing file, or one whose last line lacks its newline, leaves the hash order as it is. A path
    /// listed twice counts at its last line, as in kmod 30 (kmod 34 takes the first).
    static func arrange(_ modules: [ModuleFile], modulesOrder: [UInt8]?) -> [ModuleFile] {
        // Positions are sorted, not the modules: moving 4,000 module values (paths and strings inside) through a
        // sort costs more than the rest of the arrangement.
        let hashed = HashTableOrder.modules.order(of: modules, by: \.name)
        guard let modulesOrder, modulesOrder.isEmpty || modulesOrder.last == UInt8(ascii: "\n") else {
            return hashed.map { modules[$0] }
        }
        var lineByKey = [String: Int]()
        lineByKey.reserveCapacity(modulesOrder.count / 32)
        for (number, line) in modulesOrder.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast().enumerated() {
            lineByKey[String(decoding: line, as: UTF8.self)] = number
        }
        let rank = hashed.map { modules[$0].orderKey.flatMap { lineByKey[$0] } ?? Int.max }
        let arranged = hashed.indices.sorted { rank[$0] != rank[$1] ? rank[$0] < rank[$1] : $0 < $1 }
        return arranged.map { modules[hashed[$0]] }
    }
}

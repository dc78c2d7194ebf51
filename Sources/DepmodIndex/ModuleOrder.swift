/// The order modules are listed in, which decides the line order of `modules.dep`, `.alias`, `.softdep` and
/// `.devname` and every priority in the `.bin` files (`../shared/spec/depmod.md` §3).
enum ModuleOrder {
    /// `modules` in kmod's hash order, then stably re-sorted so the ones `modules.order` lists come first, in its
    /// order. A missing file, or one whose last line lacks its newline, leaves the hash order as it is. A path
    /// listed twice counts at its last line, as in kmod 30 (kmod 34 takes the first).
    static func arrange(_ modules: [ModuleFile], modulesOrder: [UInt8]?) -> [ModuleFile] {
        let hashed = HashTableOrder.modules.sorted(modules, by: \.name)
        guard let modulesOrder, modulesOrder.isEmpty || modulesOrder.last == UInt8(ascii: "\n") else { return hashed }
        var lineByKey = [String: Int]()
        for (number, line) in modulesOrder.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast().enumerated() {
            let key = String(decoding: line, as: UTF8.self)
            lineByKey[key] = number
        }
        let ranked = hashed.enumerated().map { position, module in
            (rank: module.orderKey.flatMap { lineByKey[$0] } ?? Int.max, position: position, module: module)
        }
        return ranked.sorted { ($0.rank, $0.position) < ($1.rank, $1.position) }.map(\.module)
    }
}

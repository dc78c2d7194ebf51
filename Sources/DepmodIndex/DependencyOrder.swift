/// The order dependency lists are written in (docs/depmod-index.md, Dependency order): a topological sort that uses its
/// work list as a stack, and each module's transitive dependencies sorted by that order, so a module's users come
/// before it and the last entry of a `modules.dep` line is loaded first.
struct DependencyOrder {
    /// Position of each module in the topological order.
    let sortIndex: [Int]

    /// Sorts the graph, or returns the modules that lie on a dependency cycle.
    static func sort(_ dependencies: [[Int]]) -> Result<DependencyOrder, CycleReport> {
        var users = [Int](repeating: 0, count: dependencies.count)
        for list in dependencies { for dependency in list { users[dependency] += 1 } }
        var stack = users.indices.filter { users[$0] == 0 }
        var sortIndex = [Int](repeating: -1, count: dependencies.count)
        var next = 0
        while let module = stack.popLast() {
            sortIndex[module] = next
            next += 1
            for dependency in dependencies[module] {
                users[dependency] -= 1
                if users[dependency] == 0 { stack.append(dependency) }
            }
        }
        guard next == dependencies.count else {
            return .failure(CycleReport(dependencies: dependencies, unsorted: sortIndex.indices.filter { sortIndex[$0] < 0 }))
        }
        return .success(DependencyOrder(sortIndex: sortIndex))
    }

    /// Every module `module` needs, directly or not, each once, in ascending topological position.
    func closure(of module: Int, in dependencies: [[Int]], visited: inout [Bool]) -> [Int] {
        var found = [Int]()
        var pending = dependencies[module]
        while let next = pending.popLast() {
            if visited[next] { continue }
            visited[next] = true
            found.append(next)
            pending.append(contentsOf: dependencies[next])
        }
        for index in found { visited[index] = false }
        return found.sorted { sortIndex[$0] < sortIndex[$1] }
    }
}

/// The dependency cycles found when the topological sort could not place every module.
struct CycleReport: Error {
    /// Each cycle as module indices, starting and ending with the same module.
    let cycles: [[Int]]
    /// How many modules lie on a cycle.
    var moduleCount: Int { Set(cycles.flatMap { $0 }).count }

    /// Finds the cycles among `unsorted` modules: from each one not yet on a reported cycle, follow dependencies
    /// depth-first until a module on the current path repeats.
    init(dependencies: [[Int]], unsorted: [Int]) {
        let candidates = Set(unsorted)
        var onCycle = Set<Int>()
        var cycles = [[Int]]()
        for start in unsorted where !onCycle.contains(start) {
            var path = [start]
            var position = [start: 0]
            var iterators = [dependencies[start].makeIterator()]
            var visited: Set<Int> = [start]
            while !path.isEmpty {
                guard let next = iterators[iterators.count - 1].next() else {
                    position[path.removeLast()] = nil
                    iterators.removeLast()
                    continue
                }
                guard candidates.contains(next) else { continue }
                if let index = position[next] {
                    let cycle = Array(path[index...])
                    if onCycle.isDisjoint(with: cycle) {
                        cycles.append(cycle + [next])
                        onCycle.formUnion(cycle)
                    }
                    continue
                }
                guard visited.insert(next).inserted else { continue }
                position[next] = path.count
                path.append(next)
                iterators.append(dependencies[next].makeIterator())
            }
        }
        self.cycles = cycles
    }
}

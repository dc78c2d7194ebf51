/// Runs independent jobs (builds for several kernels, later several packages) at most `width` at a time, and
/// returns their results in the order the jobs were given — whatever order they finish in.
public enum BuildScheduler {
    public static func run<Result: Sendable>(
        _ jobs: [@Sendable () async -> Result], width: Int
    ) async -> [Result] {
        guard !jobs.isEmpty else { return [] }
        return await withTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: jobs.count)
            var next = 0
            for _ in 0..<min(max(1, width), jobs.count) {
                let index = next
                group.addTask { (index, await jobs[index]()) }
                next += 1
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < jobs.count {
                    let index = next
                    group.addTask { (index, await jobs[index]()) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }
}

import Dispatch

extension Array {
    /// `map`, with `transform` run on all cores at once; results keep the array's order.
    ///
    /// Work is handed out one element at a time, so a few large elements (a 20 MB driver among 4,000 small
    /// modules) do not leave a core idle. `transform` must be safe to call concurrently.
    public func parallelMap<T>(_ transform: (Element) -> T) -> [T] {
        let count = self.count
        guard count > 1 else { return map(transform) }
        return withUnsafeBufferPointer { elements in
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                // Each iteration reads one element and initialises its own slot exactly once; slots never overlap.
                nonisolated(unsafe) let input = elements.baseAddress!
                nonisolated(unsafe) let output = buffer.baseAddress!
                withoutActuallyEscaping(transform) { transform in
                    nonisolated(unsafe) let transform = transform
                    DispatchQueue.concurrentPerform(iterations: count) { offset in
                        (output + offset).initialize(to: transform(input[offset]))
                    }
                }
                initialized = count
            }
        }
    }
}

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

/// Runs `first` and `second` at the same time (one of them on another thread) and returns both results — for
/// two independent phases such as walking a directory tree while decoding a file.
public func concurrently<A, B>(_ first: () -> A, _ second: () -> B) -> (A, B) {
    var firstResult: A?
    var secondResult: B?
    withoutActuallyEscaping(first) { first in
        withoutActuallyEscaping(second) { second in
            // Each iteration writes only its own result; concurrentPerform returns after both.
            nonisolated(unsafe) let first = first
            nonisolated(unsafe) let second = second
            nonisolated(unsafe) let firstSlot = UnsafeMutablePointer<A?>.allocate(capacity: 1)
            nonisolated(unsafe) let secondSlot = UnsafeMutablePointer<B?>.allocate(capacity: 1)
            firstSlot.initialize(to: nil)
            secondSlot.initialize(to: nil)
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                if index == 0 { firstSlot.pointee = first() } else { secondSlot.pointee = second() }
            }
            firstResult = firstSlot.move()
            secondResult = secondSlot.move()
            firstSlot.deallocate()
            secondSlot.deallocate()
        }
    }
    return (firstResult!, secondResult!)
}

/// Hands `value` to another thread to be freed. Freeing the facts of thousands of modules (hundreds of
/// thousands of small arrays and strings) takes longer than writing the files made from them; a command that
/// is about to publish them and exit should not wait for it.
public func releaseInBackground<T>(_ value: consuming T) {
    let box = ReleaseBox(value)
    DispatchQueue.global(qos: .utility).async { box.value = nil }
}

/// Carries a value to the thread that frees it; only that thread touches it after the hand-over.
private final class ReleaseBox<T>: @unchecked Sendable {
    var value: T?
    init(_ value: consuming T) { self.value = value }
}

import Foundation

extension TreeBuilder {
    /// A builder writing under `directory` (any directory, e.g. one on a tmpfs a test mounted), with relative
    /// paths starting there.
    public init(directoryForTests directory: URL) {
        self.init(directory: directory)
    }
}

import Kernels
import StateStore
import SystemPackage
import SystemSupport

/// Dynamic shell completions, from the same places the commands read: registered packages from the state tree,
/// kernels from `lib/modules` — under the `--root` the command line being completed names, if any.
enum Completions {
    /// The architectures `-a` accepts, in `uname -m` spelling.
    static let architectures = ["x86_64", "aarch64", "armv7l", "i686", "ppc64le", "riscv64", "s390x", "loongarch64"]

    /// `NAME/VERSION` of every registered package (and each bare `NAME`), starting with the word being completed.
    @Sendable static func packages(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        let packages = StateStore(root: root(of: words)).packages()
        let candidates = Set(packages.map { "\($0.name)/\($0.version)" } + packages.map(\.name))
        return candidates.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// Every kernel release under `lib/modules` (with headers or not), starting with the word being completed.
    @Sendable static func kernels(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        KernelInventory.releases(root: root(of: words)).filter { $0.hasPrefix(prefix) }
    }

    /// The root named by `--root DIR` or `--root=DIR` in the words typed so far, else `/`.
    static func root(of words: [String]) -> Root {
        for (index, word) in words.enumerated() {
            if word == "--root", index + 1 < words.count {
                return Root(FilePath(words[index + 1]), workingDirectory: ProcessEnvironment.currentDirectory)
            }
            if word.hasPrefix("--root=") {
                return Root(FilePath(String(word.dropFirst("--root=".count))), workingDirectory: ProcessEnvironment.currentDirectory)
            }
        }
        return .system
    }
}

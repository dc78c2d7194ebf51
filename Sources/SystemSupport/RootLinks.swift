import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Symbolic links followed the way the managed system follows them: an absolute target means a path under the
/// root, never on this machine. `lib/modules/KVER/build -> /usr/src/linux-headers-KVER` in an image being built
/// points at the image's headers, not at whatever this machine has installed under that name.
extension Root {
    /// How `resolvingLinks` ended.
    public enum LinkResolution: Sendable, Hashable {
        /// Every component exists; the path on this machine, links resolved, never above the root.
        case found(FilePath)
        /// A component does not exist. `path` is where the whole path would be on this machine (the links before
        /// the missing component resolved, the components after it appended), `through` the last link followed
        /// to get there, as `link -> target`, if any.
        case missing(FilePath, through: String?)
        /// More than 40 links, as the kernel counts (`ELOOP`).
        case loop(FilePath)
    }

    /// Resolves `absolute` (a path as seen from inside the root) component by component, `..` stopping at the
    /// root, like `chroot ROOT realpath`. Without a root (`/`), the same as the system's resolution.
    public func resolvingLinks(_ absolute: FilePath) -> LinkResolution {
        var pending = absolute.components.map(\.string).reversed() as [String]
        var resolved = [String]()
        var followed = 0
        var lastLink: String?
        while let component = pending.popLast() {
            if component == "." || component.isEmpty { continue }
            if component == ".." {
                _ = resolved.popLast()
                continue
            }
            let candidate = hostPath(resolved + [component])
            var info = stat()
            guard lstat(candidate.string, &info) == 0 else {
                var wouldBe = candidate
                for rest in pending.reversed() where rest != "." && !rest.isEmpty { wouldBe.append(rest) }
                return .missing(wouldBe.lexicallyNormalized(), through: lastLink)
            }
            guard info.st_mode & S_IFMT == S_IFLNK else {
                resolved.append(component)
                continue
            }
            followed += 1
            guard followed <= 40, let target = try? FileTree.readLink(candidate) else { return .loop(candidate) }
            lastLink = "\(systemPath(of: candidate)) -> \(target)"
            if target.hasPrefix("/") { resolved.removeAll() }
            pending.append(contentsOf: FilePath(target).components.map(\.string).reversed())
        }
        return .found(hostPath(resolved))
    }

    private func hostPath(_ components: [String]) -> FilePath {
        var result = path
        for component in components { result.append(component) }
        return result
    }
}

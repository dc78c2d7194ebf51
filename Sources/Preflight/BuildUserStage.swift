import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Stage 5: can the unprivileged build user reach what a build touches? make runs as that user in a copy of the
/// source under the state tree and reads the headers; a root under a mode-0700 directory (a home directory, a
/// `mktemp -d`) makes make fail with "Permission denied" after the copy.
enum BuildUserStage {
    static func inspect(identity: ProcessIdentity?, stateDirectory: FilePath, tree: FilePath?, root: Root) -> [Finding] {
        guard let identity, identity.userID != geteuid() else { return [] }
        var findings = [Finding]()
        var checked = [FilePath]()
        for (target, what) in [(stateDirectory, "the state tree"), (tree, "the kernel headers")] {
            guard let target, let blocked = firstUnreachable(target, identity: identity) else { continue }
            guard !checked.contains(blocked) else { continue }
            checked.append(blocked)
            var info = stat()
            stat(blocked.string, &info)
            let mode = String(info.st_mode & ~S_IFMT, radix: 8)
            findings.append(
                Finding(
                    stage: .buildUser, severity: .fatal, code: .buildUserCannotReach, subject: blocked.string,
                    problem:
                        "the build user (uid \(identity.userID)) cannot enter \(blocked) (mode \(mode), owner uid \(info.st_uid)), on the way to \(what)",
                    consequence: "make fails with Permission denied",
                    fix:
                        "`chmod o+x \(blocked)`, or choose a --root whose directories others may enter, or set build_user in /etc/kmodmgr/kmodmgr.conf"
                ))
        }
        return findings
    }

    /// The first directory from `/` down to `path` (included, as far as it exists) that `identity` may not search.
    static func firstUnreachable(_ path: FilePath, identity: ProcessIdentity) -> FilePath? {
        var current = FilePath("/")
        var directories = [current]
        for component in path.components {
            current.append(component)
            directories.append(current)
        }
        for directory in directories {
            var info = stat()
            guard stat(directory.string, &info) == 0 else { return nil }
            guard info.st_mode & S_IFMT == S_IFDIR else { return nil }
            if !mayEnter(info, identity: identity) { return directory }
        }
        return nil
    }

    private static func mayEnter(_ info: stat, identity: ProcessIdentity) -> Bool {
        if identity.userID == 0 { return true }
        if info.st_uid == identity.userID { return info.st_mode & 0o100 != 0 }
        if info.st_gid == identity.groupID { return info.st_mode & 0o010 != 0 }
        return info.st_mode & 0o001 != 0
    }
}

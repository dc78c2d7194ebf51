/// Which of two files with the same module name depmod keeps (docs/depmod-index.md, Duplicate priorities): overrides
/// first, then the search list. The rules are asymmetric on purpose — they reproduce depmod's tie-breaks exactly.
struct DuplicatePriority {
    let configuration: DepmodConfiguration
    /// The module directory as the system sees it (`/lib/modules/<kver>`).
    let moduleDirectory: String

    /// Whether `candidate` (found later) replaces `existing`.
    func candidateWins(_ candidate: ModuleFile, over existing: ModuleFile) -> Bool {
        let newRelative = candidate.stemPath
        let oldRelative = existing.stemPath
        for override in configuration.overrides {
            if newRelative == override { return true }
            if oldRelative == override { return false }
        }
        var builtInPriority = -1
        var newPriority = -1
        var oldPriority = -1
        var index = 0
        for entry in configuration.effectiveSearch {
            switch entry {
            case .builtIn:
                builtInPriority = index
            case .external:
                for directory in configuration.externalDirectories {
                    if isInside(candidate.systemPath, directory) { newPriority = index }
                    if isInside(existing.systemPath, directory) { oldPriority = index }
                    index += 1
                }
            case .directory(let directory):
                // depmod tests the older file only when the newer one does not match this entry.
                if let newRelative, isInside(newRelative, directory) {
                    newPriority = index
                } else if let oldRelative, isInside(oldRelative, directory) {
                    oldPriority = index
                }
            }
            index += 1
        }
        if newPriority < 0 { newPriority = builtInPriority }
        if oldPriority < 0 { oldPriority = builtInPriority }
        return newPriority > oldPriority
    }

    /// Whether `path` lies strictly below `directory` (a `/` right after it).
    private func isInside(_ path: String, _ directory: String) -> Bool {
        path.utf8.count > directory.utf8.count && path.hasPrefix(directory)
            && path.utf8[path.utf8.index(path.utf8.startIndex, offsetBy: directory.utf8.count)] == UInt8(ascii: "/")
    }
}

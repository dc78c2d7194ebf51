import Lifecycle

/// `dkms status` in DKMS's own format, which package scripts parse (`grep -c ": built"`, the kernel hooks split on
/// `,`, `:`, `/` and space): `NAME/VERSION: added`, `NAME/VERSION, KVER, ARCH: built|installed`, with DKMS's
/// suffixes. kmodmgr's other states become what DKMS would show: a failed or skipped build leaves no line of its
/// own (DKMS records nothing), so a version with no build left shows as `added`.
enum DKMSStatusLines {
    static func render(_ entries: [StatusEntry]) -> [String] {
        var lines = [String]()
        var index = 0
        while index < entries.count {
            let name = entries[index].name
            let version = entries[index].version
            var package = [String]()
            while index < entries.count && entries[index].name == name && entries[index].version == version {
                if let line = line(entries[index]) { package.append(line) }
                index += 1
            }
            lines += package.isEmpty ? ["\(name)/\(version): added"] : package
        }
        return lines
    }

    private static func line(_ entry: StatusEntry) -> String? {
        guard let kernel = entry.kernel else { return nil }
        let prefix = "\(entry.name)/\(entry.version), \(kernel), \(entry.arch ?? "")"
        switch entry.state {
        case .added, .failed, .skipped: return nil
        case .built: return "\(prefix): built"
        case .installed:
            return "\(prefix): installed" + (entry.displaced.isEmpty ? "" : " (original_module exists)")
        case .broken:
            // Files altered or missing since the install: DKMS's own warnings for the two cases it can see.
            return entry.installed.isEmpty
                ? "\(prefix): built (WARNING! Missing some built modules!)"
                : "\(prefix): installed (WARNING! Diff between built and installed module!)"
        }
    }
}

import SystemPackage
import SystemSupport

/// Which depmod.d files apply, in the order they are read (docs/depmod-index.md, Configuration: depmod.d).
enum ConfigurationFiles {
    /// depmod's default directories, highest precedence first; taken under the root.
    static let defaultDirectories: [FilePath] = ["/etc/depmod.d", "/run/depmod.d", "/usr/local/lib/depmod.d", "/lib/depmod.d"]

    /// The files to read from `locations` (directories, or files given with `-C`): every `*.conf` whose name does
    /// not start with `.`, merged across locations and sorted by file name, where a name found in an earlier
    /// location hides the same name in later ones.
    static func files(in locations: [FilePath], sink: any DiagnosticSink) -> [FilePath] {
        var chosen = [String: FilePath]()
        for location in locations {
            guard let status = try? FileBytes.status(location) else { continue }
            if status.kind != .directory {
                let name = location.lastComponent?.string ?? location.string
                if chosen[name] == nil { chosen[name] = location }
                continue
            }
            for name in DirectoryListing.names(in: location) where isConfigName(name) {
                let path = location.appending(name)
                if (try? FileBytes.status(path))?.kind == .directory {
                    sink.warning("directories inside configuration directories are not supported", file: path)
                    continue
                }
                if chosen[name] == nil { chosen[name] = path }
            }
        }
        return chosen.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map(\.value)
    }

    private static func isConfigName(_ name: String) -> Bool {
        !name.hasPrefix(".") && name.utf8.count >= 6 && name.hasSuffix(".conf")
    }

    /// Reads `files` (from `files(in:sink:)`) into one configuration for kernel `release`.
    static func load(_ files: [FilePath], release: String, sink: any DiagnosticSink) -> DepmodConfiguration {
        var configuration = DepmodConfiguration()
        for file in files {
            do {
                let bytes = try FileBytes.read(file)
                configuration.apply(String(decoding: bytes, as: UTF8.self), from: file, release: release, sink: sink)
            } catch {
                sink.warning("\(error)")
            }
        }
        return configuration
    }
}

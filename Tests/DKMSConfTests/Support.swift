import DKMSConf
import Foundation
import SystemPackage
import SystemSupport
import TestSupport

/// An installed kernel with headers (`/lib/modules/<k>/build/.config`), found on the machine, and the environment
/// DKMS would give a dkms.conf for it.
enum TestKernel {
    static let release: String? = {
        let releases = (try? FileManager.default.contentsOfDirectory(atPath: "/lib/modules")) ?? []
        return releases.sorted(by: >).first { FileManager.default.fileExists(atPath: "/lib/modules/\($0)/build/.config") }
    }()

    static var environment: ManifestEnvironment {
        get throws {
            guard let release else { throw DebianCorpus.Unavailable(reason: "no kernel headers under /lib/modules/*/build") }
            return environment(release: release, sourceDirectory: "/lib/modules/\(release)/build")
        }
    }

    static func environment(release: String, sourceDirectory: String) -> ManifestEnvironment {
        ManifestEnvironment(
            kernelRelease: release, arch: machine, kernelSourceDirectory: sourceDirectory, dkmsTree: "/var/lib/dkms",
            sourceTree: "/usr/src", installTree: "/lib/modules", parallelJobs: 2)
    }

    static let machine: String = {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: &names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }()
}

/// A directory for files that `nobody` must read: 0755, unlike `mkdtemp`'s 0700.
func readableTemporaryDirectory() throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory()
    chmod(directory.url.path, 0o755)
    return directory
}

/// Writes `text` as `dkms.conf` (mode 0644) in a fresh readable directory and returns its path.
func writeConf(_ text: String, in directory: TemporaryDirectory, name: String = "dkms.conf") throws -> FilePath {
    let url = directory.path(name)
    try Data(text.utf8).write(to: url)
    chmod(url.path, 0o644)
    return FilePath(url.path)
}

/// A manifest environment that needs no kernel on the machine.
let plainEnvironment = ManifestEnvironment(
    kernelRelease: "6.1.0-56-amd64", arch: "x86_64", kernelSourceDirectory: "/lib/modules/6.1.0-56-amd64/build",
    dkmsTree: "/var/lib/dkms", sourceTree: "/usr/src", installTree: "/lib/modules", parallelJobs: 4)

/// Loads `text` natively (the shell forbidden), collecting diagnostics.
func loadNative(_ text: String, environment: ManifestEnvironment = plainEnvironment) async throws(ManifestError)
    -> (PackageManifest, [Diagnostic])
{
    let sink = CollectingDiagnosticSink()
    let manifest = try await ManifestLoader.load(
        contents: Array(text.utf8), of: "/src/demo-1.0/dkms.conf", environment: environment, shell: .forbidden, diagnostics: sink)
    return (manifest, sink.diagnostics)
}

/// The error loading `text` gives, or nil when it loads.
func loadError(_ text: String, shell: ShellPolicy = .forbidden) async -> ManifestError? {
    do {
        _ = try await ManifestLoader.load(
            contents: Array(text.utf8), of: "/src/demo-1.0/dkms.conf", environment: plainEnvironment, shell: shell,
            diagnostics: CollectingDiagnosticSink())
        return nil
    } catch {
        return error
    }
}

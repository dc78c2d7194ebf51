import DKMSConf
import FoundationEssentials
import SystemPackage
import SystemSupport

/// The evaluated manifest kept beside a build's modules (`manifest.json`): what install and uninstall use, so that
/// a dkms.conf is never evaluated again for a finished build. One encoding, so that its digest (the build record's
/// `manifestDigest`) is the same wherever a build is recorded.
enum StoredManifest {
    static func encode(_ manifest: PackageManifest, label: String) throws(LifecycleError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(manifest)) + [UInt8(ascii: "\n")]
        } catch {
            throw .system(SystemError("encode the manifest of \(label) for", path: "manifest.json", errno: .invalidArgument))
        }
    }

    static func read(_ file: FilePath) throws(LifecycleError) -> PackageManifest {
        do {
            return try JSONDecoder().decode(PackageManifest.self, from: Data(try FileBytes.read(file)))
        } catch let error as SystemError {
            throw .system(error)
        } catch {
            throw .state(.malformedRecord(file: file.string, line: 0, reason: "not a stored manifest: \(error)"))
        }
    }
}

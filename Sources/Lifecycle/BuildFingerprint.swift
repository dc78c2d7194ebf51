import DKMSConf
import StateStore
import SystemPackage
import SystemSupport

extension BuildRecord {
    /// A new record (state `state`, a new build identifier) whose digests say what the build is made from: the
    /// source tree, the evaluated manifest as stored (`manifestJSON`) and the kernel's headers; the cheap stamps
    /// beside them let `status` call a build stale without reading file contents. A build and an import of DKMS's
    /// build are fingerprinted alike, so that an imported build is up to date exactly when a kmodmgr build would be.
    static func fingerprinted(
        state: BuildState, source: FilePath, manifest: PackageManifest, manifestJSON: [UInt8], headersDigest: String,
        headersStamp: String
    ) throws(LifecycleError) -> BuildRecord {
        let fingerprints: (digest: String, stamp: String)
        do {
            fingerprints = try ContentHash.digestAndStamp(tree: source)
        } catch {
            throw .system(error)
        }
        var record = BuildRecord(
            state: state, build: StateStore.newBuildIdentifier(), time: 0, elapsedSeconds: 0, reason: nil,
            sourceDigest: fingerprints.digest, manifestDigest: ContentHash.of(manifestJSON), headersDigest: headersDigest,
            modules: [], evaluation: manifest.evaluation.rawValue)
        record.sourceStamp = fingerprints.stamp
        record.headersStamp = headersStamp
        return record
    }
}

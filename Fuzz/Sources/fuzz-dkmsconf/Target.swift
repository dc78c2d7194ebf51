import DKMSConf
import Dispatch
import Foundation
import FuzzSupport
import SystemPackage
import SystemSupport

// dkms.conf through DKMSConf's native path only: `ManifestLoader.load(contents:…)` with the shell forbidden runs the
// assignment-subset lexer (ShellSubsetLexer, its words, quoting and `${…}` references), the replay of assignments
// (ShellVariables), DKMS's directive semantics (ManifestResolver) and validation. A file that needs bash is a thrown
// `.shellForbidden` error here: bash is never started.
//
// Besides "no crash, no trap, no leak, no hang", every outcome must keep what the product relies on:
//   - an error names the file, is one line, and a syntax or shell-construct error points at a line and column inside
//     the text (line ≤ number of lines, column ≥ 1);
//   - a manifest survives the JSON round trip kmodmgr makes when it stores it beside a build (Lifecycle's
//     `Building.encode`: pretty-printed, sorted keys, slashes unescaped) and reads it back at install time
//     (`KernelInstall.storedManifest`), unchanged.

private let file: FilePath = "/usr/src/fuzz-1.0/dkms.conf"

/// A kernel that needs nothing on this machine (the one the DKMSConf tests use).
private let environment = ManifestEnvironment(
    kernelRelease: "6.1.0-56-amd64", arch: "x86_64", kernelSourceDirectory: "/lib/modules/6.1.0-56-amd64/build",
    dkmsTree: "/var/lib/dkms", sourceTree: "/usr/src", installTree: "/lib/modules", parallelJobs: 4)

/// The outcome of one load, carried out of the task.
private final class Outcome: @unchecked Sendable {
    var result: Result<PackageManifest, ManifestError>?
}

/// Runs the async loader to completion. With the shell forbidden nothing in it suspends, so `Task.immediate` runs it
/// on this thread before returning; the semaphore only matters should that ever change.
private func load(_ bytes: [UInt8]) -> Result<PackageManifest, ManifestError> {
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task.immediate {
        do throws(ManifestError) {
            outcome.result = .success(
                try await ManifestLoader.load(
                    contents: bytes, of: file, environment: environment, shell: .forbidden, diagnostics: CollectingDiagnosticSink()))
        } catch {
            outcome.result = .failure(error)
        }
        done.signal()
    }
    done.wait()
    return outcome.result!
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzzing.bytes(data, size)
    switch load(bytes) {
    case .success(let manifest):
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            let json = try encoder.encode(manifest)
            let decoded = try JSONDecoder().decode(PackageManifest.self, from: json)
            Fuzzing.require(decoded == manifest, "the manifest changes through JSON: \(manifest) became \(decoded)")
        } catch {
            Fuzzing.require(false, "the manifest does not survive JSON: \(error)")
        }
    case .failure(let error):
        let description = error.description
        Fuzzing.require(error.file == file, "the error names \(error.file), not the file read: \(description)")
        Fuzzing.require(!description.contains("\n"), "the error is not one line: \(description)")
        switch error.kind {
        case .syntax, .shellForbidden:
            // Lines as the lexer counts them: CR before LF is dropped, so only LF ends a line.
            let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
            guard let line = error.line, let column = error.column else {
                Fuzzing.require(false, "a syntax error without a place: \(description)")
                return 0
            }
            Fuzzing.require(line >= 1 && line <= lines && column >= 1, "the place \(line):\(column) is outside the \(lines) lines: \(description)")
        default:
            break
        }
    }
    return 0
}

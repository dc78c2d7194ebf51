import ArgumentParser
import FoundationEssentials
import Kernels
import Lifecycle
import ModuleELF
import Signing
import StateStore
import SystemSupport

/// `kmodmgr status`: what is added and built, and what is wrong — from the state tree alone.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show registered packages and their builds per kernel (DKMS's line format, plus failures, skips and staleness).",
        discussion: """
            Lines: NAME/VERSION: added | NAME/VERSION, KVER, ARCH: built | installed | failed (REASON; log: FILE) | \
            skipped (REASON), with "(stale: source, headers)" when what a build used has changed since, and \
            "(BROKEN: …)" when a source, built or installed file is missing or changed. An install or uninstall \
            interrupted by a crash is finished first. Exit status 1 when anything is broken.
            """)

    @OptionGroup var options: LifecycleOptions
    @OptionGroup var selection: PackageSelection

    @OptionGroup var kernels: KernelSelection

    @Flag(name: .long, help: "Print a JSON array of entries instead of lines.")
    var json = false

    func run() async throws {
        let context = try options.context(diagnostics: StandardErrorDiagnostics())
        do {
            if try !StatusReport.settle(context: context) {
                Output.note("another kmodmgr is at work: what follows may be about to change")
            }
        } catch {
            throw fail(error)
        }
        let root = context.root
        let wantedArch = kernels.normalizedArch
        let entries = StatusReport.entries(
            package: try selection.reference(), kernels: kernels.filter, state: StateStore(root: root),
            root: root, currentSigner: currentSigner(context)
        ).filter { entry in wantedArch == nil || entry.kernel == nil || entry.arch == wantedArch }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Output.write(bytes: Array(try encoder.encode(entries)) + [UInt8(ascii: "\n")])
        } else {
            for entry in entries { Output.write(StatusLine.render(entry) + "\n") }
        }
        if entries.contains(where: { !$0.problems.isEmpty }) { throw ExitStatus.failure.error }
    }
}

/// The key installs sign with now, by its certificate alone (no private key is read for a status).
private func currentSigner(_ context: LifecycleContext) -> SignerName? {
    guard let location = try? SigningKeyDiscovery.locate(root: context.root, settings: context.settings),
        let bytes = try? BoundedFileRead.read(context.root.resolve(location.certificate), limit: 1 << 20),
        let certificate = try? Certificate(bytes: bytes)
    else { return nil }
    return certificate.signerName
}

/// One status entry in DKMS's format, with kmodmgr's additions in parentheses.
enum StatusLine {
    static func render(_ entry: StatusEntry) -> String {
        var line = "\(entry.name)/\(entry.version)"
        if let kernel = entry.kernel { line += ", \(kernel), \(entry.arch ?? "?")" }
        line += ": \(entry.state.rawValue)"
        var details = [String]()
        if let reason = entry.reason { details.append(reason) }
        if entry.state == .failed, let log = entry.log { details.append("log: \(log)") }
        if !details.isEmpty { line += " (\(details.joined(separator: "; ")))" }
        if !entry.overrides.isEmpty { line += " (overrides \(entry.overrides.joined(separator: ", ")))" }
        if !entry.displaced.isEmpty { line += " (moved aside \(entry.displaced.joined(separator: ", ")))" }
        let others = entry.signatures.filter { $0.currentKey == false }
        if !others.isEmpty {
            line +=
                " (signed by another key: "
                + others.map { "\($0.path) by '\($0.signer ?? "")' \($0.sigKey ?? "")" }.joined(separator: ", ")
                + "; kmodmgr sign --all signs them again)"
        }
        if !entry.stale.isEmpty { line += " (stale: \(entry.stale.joined(separator: ", ")) changed)" }
        if !entry.problems.isEmpty { line += " (BROKEN: \(entry.problems.joined(separator: "; ")))" }
        return line
    }
}

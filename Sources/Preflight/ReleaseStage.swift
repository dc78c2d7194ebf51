import Kernels
import SystemPackage
import SystemSupport

/// Stage 4: the release the headers put into every module's `vermagic` (`UTS_RELEASE` in
/// `include/generated/utsrelease.h`) against the release of the kernel that will load it: the release its own
/// modules carry, else its directory's name. Debian's `include/config/kernel.release` (`6.1.192`) does not carry
/// the ABI, so it is not used.
///
/// The kernel compares `vermagic` in `same_magic`: when the module has symbol versions and the kernel was built
/// with CONFIG_MODVERSIONS, the first word (the release) is skipped and the CRCs decide; otherwise the whole
/// string must match, and a module made with another release is refused ("version magic … should be …").
enum ReleaseStage {
    static func inspect(tree: FilePath, config: KernelConfig?, release: String, root: Root, ownVermagic: String?) -> [Finding] {
        guard let produced = headersRelease(tree) else { return [] }  // the build-tree stage reports the missing file
        let kernelRelease = ownVermagic.flatMap { $0.split(separator: " ").first.map(String.init) } ?? release
        guard produced != kernelRelease else { return [] }
        let source = ownVermagic == nil ? "its directory's name" : "the vermagic of its own modules"
        let modversions = config?.isEnabled("CONFIG_MODVERSIONS") ?? false
        let consequence =
            modversions
            ? "modules built here say \(produced) in their vermagic; the kernel (CONFIG_MODVERSIONS=y) skips that word and compares symbol CRCs instead, so they load while the CRCs match, but modinfo and tools that read vermagic show the wrong release"
            : "the kernel refuses every module built here (version magic '\(produced) …' should be '\(kernelRelease) …')"
        var fixes = [String]()
        if kernelRelease.hasPrefix(produced) {
            let suffix = String(kernelRelease.dropFirst(produced.count))
            fixes.append(
                "in the kernel source tree, `make LOCALVERSION=\(suffix) modules_prepare` (the suffix \(suffix) is the kernel's EXTRAVERSION/LOCALVERSION)"
            )
        }
        fixes.append("build against the headers of \(kernelRelease) (\(KernelInventory.headersPackage(kernelRelease)))")
        if !modversions { fixes.append("as a last resort, `kmodmgr load --force`, which strips the check") }
        return [
            Finding(
                stage: .release, severity: modversions ? .warning : .fatal, code: .releaseMismatch,
                subject: root.systemPath(of: tree.appending("include/generated/utsrelease.h")),
                problem: kernelRelease == release
                    ? "the headers produce release \(produced), not the kernel's \(release) (\(source))"
                    : "the headers produce release \(produced), but kernel \(release) is \(kernelRelease) (\(source))",
                consequence: consequence, fix: fixes.joined(separator: "; or "))
        ]
    }

    /// `UTS_RELEASE` from the headers' `include/generated/utsrelease.h`.
    static func headersRelease(_ tree: FilePath) -> String? {
        guard let bytes = try? FileBytes.read(tree.appending("include/generated/utsrelease.h")) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let define = text.firstRange(of: "UTS_RELEASE"), let open = text[define.upperBound...].firstIndex(of: "\""),
            let close = text[text.index(after: open)...].firstIndex(of: "\"")
        else { return nil }
        return String(text[text.index(after: open)..<close])
    }
}

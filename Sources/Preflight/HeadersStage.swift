import Kernels
import SystemPackage
import SystemSupport

/// Stage 1: where the kernel's headers are. `lib/modules/<release>/build` is resolved inside the root, so an
/// absolute link in an image (`build -> /usr/src/linux-headers-X`) means the image's headers.
enum HeadersStage {
    /// The headers' directory on this machine, or the finding that says why there is none.
    static func locate(_ request: PreflightRequest) -> Result<FilePath, Finding> {
        if let given = request.buildDirectory {
            guard FileTree.isDirectory(given) else {
                return .failure(
                    finding(
                        .fatal, .missingKernelSourceDir, given.string, "--kernel-source-dir \(given) is not a directory",
                        fix: "give the directory of a configured kernel tree (the one holding its .config and Makefile)"))
            }
            return checkedTree(given, request: request)
        }
        let link = "/lib/modules/\(request.release)/build"
        let headersPackage = KernelInventory.headersPackage(request.release)
        switch request.root.resolvingLinks(FilePath(link)) {
        case .found(let directory):
            guard FileTree.isDirectory(directory) else {
                return .failure(
                    finding(
                        .fatal, .buildLinkNotDirectory, link, "\(link) is not a directory",
                        fix: FixAdvice(root: request.root, buildDirectory: directory).forFile(directory)))
            }
            return checkedTree(directory, request: request)
        case .missing(let wouldBe, _):
            // Dangling only when the `build` entry itself is there (in its directory, links above it resolved).
            let entry: FilePath? =
                if case .found(let directory) = request.root.resolvingLinks(FilePath("/lib/modules/\(request.release)")) {
                    directory.appending("build")
                } else { nil }
            if let entry, let target = try? FileTree.readLink(entry) {
                let advice = FixAdvice(root: request.root, buildDirectory: wouldBe)
                let owner = advice.ownership.owner(of: link)
                let under = request.root.path == "/" ? "" : " under \(request.root.path)"
                return .failure(
                    finding(
                        .fatal, .danglingBuildLink, link,
                        "\(link) is a dangling link (-> \(target); \(request.root.systemPath(of: wouldBe)) does not exist\(under))",
                        fix: owner.map(advice.reinstall) ?? "install \(headersPackage), or point the link at the kernel's build tree"))
            }
            return .failure(
                finding(
                    .fatal, .noHeaders, link, "kernel \(request.release) has no headers (\(link) does not exist)",
                    fix: "install \(headersPackage)"))
        case .loop(let at):
            return .failure(
                finding(
                    .fatal, .buildLinkLoop, link, "\(link) leads into a loop of links at \(request.root.systemPath(of: at))",
                    fix: "point \(link) at the kernel's build tree"))
        }
    }

    /// A directory is a build tree when it has the top Makefile; anything less cannot be built against at all.
    private static func checkedTree(_ directory: FilePath, request: PreflightRequest) -> Result<FilePath, Finding> {
        guard FileTree.exists(directory.appending("Makefile")) else {
            let makefile = directory.appending("Makefile")
            return .failure(
                finding(
                    .fatal, .noMakefile, request.root.systemPath(of: makefile),
                    "\(request.root.systemPath(of: directory)) is not a kernel build tree (no Makefile)",
                    fix: FixAdvice(root: request.root, buildDirectory: directory).forFile(makefile)))
        }
        return .success(directory)
    }

    private static func finding(_ severity: Finding.Severity, _ code: Finding.Code, _ subject: String, _ problem: String, fix: String)
        -> Finding
    {
        Finding(
            stage: .headers, severity: severity, code: code, subject: subject, problem: problem,
            consequence: "no module can be built for this kernel", fix: fix)
    }
}

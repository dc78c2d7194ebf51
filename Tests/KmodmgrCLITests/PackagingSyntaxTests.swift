import Foundation
import TestSupport
import Testing

/// The RPM spec, the PKGBUILD and the pacman hooks: each is read by its own distribution's tools (Debian's `rpm` and
/// `makepkg` packages), both packages install the same files from sources that exist in the repository, and the
/// pacman hook script turns the targets pacman gives it into the right kmodmgr commands.
@Suite struct PackagingSyntaxTests {
    static let packageRoot = RepositoryTests.packageRoot
    static let spec = "packaging/rpm/kmodmgr.spec"
    static let pkgbuild = "packaging/arch/PKGBUILD"

    /// The version `kmodmgr --version` prints.
    static func version() throws -> String {
        try kmodmgr(["--version"]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func rpmSpecParsesWithTheBinarysVersion() throws {
        let parsed = try run("rpmspec", ["-P", Self.spec], in: Self.packageRoot)
        #expect(parsed.status == 0, "\(parsed.standardError)")
        #expect(parsed.standardError.isEmpty, "\(parsed.standardError)")
        let version = try run("rpmspec", ["-q", "--srpm", "--qf", "%{version}", Self.spec], in: Self.packageRoot)
        #expect(version.standardOutput == (try Self.version()))
    }

    @Test func pkgbuildParsesWithTheBinarysVersion() throws {
        for file in [Self.pkgbuild, "packaging/arch/kmodmgr.install", "packaging/rpm/make-sources"] {
            let syntax = try run("bash", ["-n", file], in: Self.packageRoot)
            #expect(syntax.status == 0, "\(file): \(syntax.standardError)")
        }
        let srcinfo = try Arch.printSourceInfo()
        #expect(srcinfo["pkgver"] == [try Self.version()])
        #expect(srcinfo["backup"] == ["etc/kmodmgr/kmodmgr.conf"])
        #expect(srcinfo["install"] == ["kmodmgr.install"])
        #expect(srcinfo["depends"]?.contains("kmod") == true)
    }

    /// Every repository file the RPM's %install and the PKGBUILD's package() install exists.
    @Test func everyInstalledSourceExists() throws {
        let sources = try Self.installedSources()
        #expect(sources.contains("hooks/pacman/kmodmgr-hook") && sources.contains("man/kmodmgr.8"), "\(sources)")
        let missing = sources.filter { !FileManager.default.fileExists(atPath: Self.packageRoot.appendingPathComponent($0).path) }
        #expect(missing.isEmpty, "installed by the packaging but not in the repository: \(missing.sorted())")
    }

    /// The repository paths (`man/…`, `etc/…`, `hooks/…`) named in the RPM's %install and the PKGBUILD's package().
    static func installedSources() throws -> Set<String> {
        let parsed = try run("rpmspec", ["-P", spec], in: packageRoot).standardOutput
        let install = parsed.components(separatedBy: "\n%install\n").last?.components(separatedBy: "\n%check\n").first ?? ""
        let pkgbuildText = try String(contentsOf: packageRoot.appendingPathComponent(pkgbuild), encoding: .utf8)
        let package = pkgbuildText.components(separatedBy: "package() {").last ?? ""
        let words = (install + " " + package).split(whereSeparator: { " \t\n\\\"'".contains($0) })
        return Set(words.map(String.init).filter { $0.hasPrefix("man/") || $0.hasPrefix("etc/") || $0.hasPrefix("hooks/") })
    }

    /// A real RPM (rpmbuild's %install and packaging, after a stand-in build: the test's own kmodmgr binary) and the
    /// PKGBUILD's package() install the same files, but for the pacman hooks (Arch only) and each distribution's way
    /// with sbin, man page compression and the doc directory.
    @Test func rpmAndArchPackagesInstallTheSameFiles() throws {
        let missing = try Self.installedSources().filter {
            !FileManager.default.fileExists(atPath: Self.packageRoot.appendingPathComponent($0).path)
        }
        try #require(missing.isEmpty, "sources missing: \(missing.sorted())")
        let work = try TemporaryDirectory()
        let version = try Self.version()
        try Self.stageBuiltSourceTree(at: work.path("build/kmodmgr-\(version)"))

        let rpm = try RPM.build(topdir: work.path("rpm"), builddir: work.path("build"))
        #expect(rpm.configFiles == ["/etc/kmodmgr/kmodmgr.conf"])
        #expect(rpm.files.contains("/var/lib/kmodmgr"))
        let arch = try Arch.package(srcdir: work.path("build"), pkgdir: work.path("pkg"))
        #expect(arch.directories.contains("/var/lib/kmodmgr"))
        for file in ["usr/share/libalpm/hooks/70-kmodmgr-install.hook", "usr/share/libalpm/hooks/70-kmodmgr-remove.hook"] {
            #expect(arch.files.contains("/" + file))
        }
        #expect(FileManager.default.isExecutableFile(atPath: work.path("pkg/usr/share/libalpm/scripts/kmodmgr-hook").path))
        let zsh = try String(contentsOf: work.path("pkg/usr/share/zsh/site-functions/_kmodmgr"), encoding: .utf8)
        #expect(zsh.contains("autoinstall"), "completions come from the binary")

        func comparable(_ paths: Set<String>) -> Set<String> {
            Set(
                // Documentation and license texts differ by design: Arch's licenses package already ships Apache-2.0.
                paths.filter {
                    !$0.hasPrefix("/usr/share/doc/") && !$0.hasPrefix("/usr/lib/.build-id") && !$0.hasPrefix("/usr/share/libalpm/")
                        && !$0.hasPrefix("/usr/share/licenses/")
                }
                .map { path in
                    let merged = path.hasPrefix("/usr/sbin/") ? "/usr/bin/" + path.dropFirst("/usr/sbin/".count) : Substring(path)
                    return String(merged.hasSuffix(".gz") ? merged.dropLast(3) : merged)
                })
        }
        let rpmFiles = comparable(rpm.files.subtracting(rpm.directories))
        let archFiles = comparable(arch.files)
        #expect(
            rpmFiles == archFiles,
            "only in the RPM: \(rpmFiles.subtracting(archFiles).sorted()); only in the Arch package: \(archFiles.subtracting(rpmFiles).sorted())"
        )
        #expect(rpmFiles.contains("/usr/bin/kmodmgr") && rpmFiles.contains("/usr/share/zsh/site-functions/_kmodmgr"), "\(rpmFiles)")
        #expect(!rpmFiles.contains { $0.hasPrefix("/etc/kernel/") || $0.contains("initramfs-tools") }, "Debian's hooks are Debian's only")
    }

    /// What %prep and %build leave: the sources the packaging installs and `.build/release/kmodmgr`.
    static func stageBuiltSourceTree(at tree: URL) throws {
        let files = FileManager.default
        try files.createDirectory(at: tree.appendingPathComponent(".build/release"), withIntermediateDirectories: true)
        for item in ["man", "etc", "hooks", "README.md", "LICENSE"] {
            try files.copyItem(at: packageRoot.appendingPathComponent(item), to: tree.appendingPathComponent(item))
        }
        try files.copyItem(atPath: try kmodmgrBinary(), toPath: tree.appendingPathComponent(".build/release/kmodmgr").path)
    }

    // MARK: - pacman hooks

    @Test func installHookRunsAfterTheTransactionBeforeMkinitcpio() throws {
        let hook = try PacmanHook(file: "hooks/pacman/70-kmodmgr-install.hook")
        #expect(hook.triggers.map(\.type) == ["Path"])
        #expect(hook.triggers[0].operations == ["Install", "Upgrade"])
        #expect(
            hook.triggers[0].targets == ["usr/lib/modules/*/vmlinuz", "usr/lib/modules/*/build/include/", "usr/src/*/dkms.conf"])
        #expect(hook.action["When"] == "PostTransaction")
        #expect(hook.action["Exec"] == "/usr/share/libalpm/scripts/kmodmgr-hook install")
        #expect(hook.action.keys.contains("NeedsTargets") && hook.action["Depends"] == "kmodmgr")
        // Hooks of one stage run in file-name order (strcmp).
        #expect("60-depmod.hook" < hook.name && hook.name < "90-mkinitcpio-install.hook")
    }

    @Test func removeHookRunsBeforeTheTransactionAndNeverAborts() throws {
        let hook = try PacmanHook(file: "hooks/pacman/70-kmodmgr-remove.hook")
        #expect(hook.triggers.map(\.type) == ["Path"])
        #expect(hook.triggers[0].operations == ["Remove", "Upgrade"])
        #expect(hook.triggers[0].targets == ["usr/lib/modules/*/vmlinuz", "usr/src/*/dkms.conf"])
        #expect(hook.action["When"] == "PreTransaction")
        #expect(hook.action["Exec"] == "/usr/share/libalpm/scripts/kmodmgr-hook remove")
        #expect(hook.action.keys.contains("NeedsTargets"))
        #expect(!hook.action.keys.contains("AbortOnFail"))
    }

    @Test func hookScriptIsBash() throws {
        let syntax = try run("bash", ["-n", "hooks/pacman/kmodmgr-hook"], in: Self.packageRoot)
        #expect(syntax.status == 0, "\(syntax.standardError)")
        #expect(FileManager.default.isExecutableFile(atPath: Self.packageRoot.appendingPathComponent("hooks/pacman/kmodmgr-hook").path))
    }

    /// New kernels: each is autoinstalled, leaving the initramfs to the generator's hook when its image is in the
    /// transaction; one without headers is skipped with a note; a path that only matches pacman's `*` is ignored.
    @Test func installTargetsAutoinstallTheirKernels() throws {
        let hook = try HookWorld()
        let result = try hook.run(
            "install",
            targets: [
                "usr/lib/modules/6.6.2-arch1-1/vmlinuz", "usr/lib/modules/6.6.2-arch1-1/build/include/",
                "usr/lib/modules/6.10.0-arch1-1/build/include/", "usr/lib/modules/6.6.1-arch1-1/vmlinuz",
                "usr/lib/modules/6.6.2-arch1-1/extra/vmlinuz",
            ])
        #expect(
            result.calls == [
                "autoinstall --root ROOT -k 6.6.2-arch1-1 --no-initramfs",
                "autoinstall --root ROOT -k 6.10.0-arch1-1",
            ])
        #expect(result.standardOutput.isEmpty && result.status == 0)
        #expect(result.standardError.contains("no headers for 6.6.1-arch1-1"), "\(result.standardError)")
        #expect(result.standardError.contains("ignoring target usr/lib/modules/6.6.2-arch1-1/extra/vmlinuz"))
        #expect(result.standardError.contains("a line on stdout"), "kmodmgr's stdout goes to stderr")
        #expect(result.standardError.contains("autoinstall -k 6.10.0-arch1-1: some packages failed"))
    }

    /// A new package source is registered (unless it is already) and autoinstalled for every kernel with headers.
    @Test func sourceTargetsAreAddedAndBuiltForEveryKernelWithHeaders() throws {
        let hook = try HookWorld(status: ["acpi-call/1.2.2, 6.1.0-lts, x86_64: installed"])
        let result = try hook.run("install", targets: ["usr/src/foo-bar-1.0-2/dkms.conf", "usr/src/acpi-call-1.2.2/dkms.conf"])
        #expect(
            result.calls == [
                "status --root ROOT",
                "add --root ROOT ROOT/usr/src/foo-bar-1.0-2",
                "autoinstall --root ROOT -k 6.1.0-lts",
                "autoinstall --root ROOT -k 6.6.2-arch1-1",
                "autoinstall --root ROOT -k 6.10.0-arch1-1",
            ])
        #expect(result.standardOutput.isEmpty && result.status == 0)
    }

    /// An outgoing kernel loses everything kmodmgr built for it; an outgoing source is removed from every kernel, found
    /// by its directory among the registered packages (its name and version both contain "-"); never the initramfs.
    @Test func removeTargetsRemoveKernelsAndPackages() throws {
        let hook = try HookWorld(status: ["foo-bar/1.0-2: added", "acpi-call/1.2.2, 6.1.0-lts, x86_64: installed"])
        let result = try hook.run(
            "remove",
            targets: ["usr/src/foo-bar-1.0-2/dkms.conf", "usr/lib/modules/6.6.1-arch1-1/vmlinuz", "usr/src/never-added-1/dkms.conf"])
        #expect(
            result.calls == [
                "unbuild --root ROOT --all-packages -k 6.6.1-arch1-1 --no-initramfs",
                "status --root ROOT",
                "remove --root ROOT foo-bar/1.0-2 --all --no-initramfs",
            ])
        #expect(result.standardOutput.isEmpty && result.status == 0)
    }

    @Test func failuresAreReportedAndNeverFailTheTransaction() throws {
        let hook = try HookWorld(exitStatus: 1)
        let install = try hook.run("install", targets: ["usr/lib/modules/6.1.0-lts/vmlinuz"])
        #expect(install.status == 0 && install.standardOutput.isEmpty)
        #expect(install.standardError.contains("error: kmodmgr autoinstall -k 6.1.0-lts --no-initramfs failed (exit status 1)"))
        let usage = try hook.run("", targets: ["usr/lib/modules/6.1.0-lts/vmlinuz"])
        #expect(usage.status == 0 && usage.standardOutput.isEmpty && usage.standardError.contains("usage"))
        #expect(install.calls.count == 1 && usage.calls.isEmpty)
    }
}

/// The PKGBUILD, read by makepkg and run as makepkg runs package().
enum Arch {
    /// `makepkg --printsrcinfo` of a copy of the PKGBUILD, as `key: [values]`. makepkg refuses to run as root, so
    /// then it runs as nobody (setpriv).
    static func printSourceInfo() throws -> [String: [String]] {
        let work = try TemporaryDirectory()
        chmod(work.url.path, 0o777)  // makepkg writes next to the PKGBUILD
        for file in ["PKGBUILD", "kmodmgr.install"] {
            try FileManager.default.copyItem(
                at: PackagingSyntaxTests.packageRoot.appendingPathComponent("packaging/arch/\(file)"), to: work.path(file))
        }
        let command = ["env", "HOME=\(work.url.path)", "makepkg", "--printsrcinfo"]
        let result =
            getuid() == 0
            ? try run("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"] + command, in: work.url)
            : try run(command[0], Array(command.dropFirst()), in: work.url)
        #expect(result.status == 0, "\(result.standardError)")
        var info = [String: [String]]()
        for line in result.standardOutput.split(separator: "\n") {
            let parts = line.trimmingCharacters(in: .whitespaces).components(separatedBy: " = ")
            if parts.count == 2 { info[parts[0], default: []].append(parts[1]) }
        }
        return info
    }

    /// Runs package() from a clean bash with `srcdir` and `pkgdir`, as makepkg does (errexit), and lists what it put
    /// in `pkgdir`.
    static func package(srcdir: URL, pkgdir: URL) throws -> (files: Set<String>, directories: Set<String>) {
        let pkgbuild = PackagingSyntaxTests.packageRoot.appendingPathComponent(PackagingSyntaxTests.pkgbuild).path
        let script = #"set -eE -o pipefail; source "$1"; srcdir=$2; pkgdir=$3; cd "$srcdir"; package"#
        let result = try run(
            "env", ["-i", "PATH=/usr/bin:/bin", "bash", "--noprofile", "--norc", "-c", script, "bash", pkgbuild, srcdir.path, pkgdir.path])
        #expect(result.status == 0, "package(): \(result.standardError)")
        return try Tree.list(pkgdir)
    }
}

/// rpmbuild over a tree %prep and %build would have left.
enum RPM {
    struct Package {
        var files: Set<String>
        var directories: Set<String>
        var configFiles: Set<String>
    }

    /// `rpmbuild --short-circuit -bi` then `-bb` in `topdir`, building in `builddir`; the package's file list.
    static func build(topdir: URL, builddir: URL) throws -> Package {
        let spec = PackagingSyntaxTests.packageRoot.appendingPathComponent(PackagingSyntaxTests.spec).path
        let defines = [
            "_topdir \(topdir.path)", "_builddir \(builddir.path)", "debug_package %{nil}", "_binary_payload w1.gzdio",
        ].flatMap { ["--define", $0] }
        for stage in ["-bi", "-bb"] {
            let result = try run("rpmbuild", defines + ["--nodeps", "--short-circuit", stage, spec])
            try #require(result.status == 0, "rpmbuild \(stage): \(result.standardError)")
        }
        let rpms = try FileManager.default.subpathsOfDirectory(atPath: topdir.appendingPathComponent("RPMS").path)
            .filter { $0.hasSuffix(".rpm") }
        let rpm = try #require(rpms.count == 1 ? topdir.appendingPathComponent("RPMS/\(rpms[0])").path : nil, "\(rpms)")
        func query(_ options: [String]) throws -> Set<String> {
            Set(try run("rpm", ["-qp"] + options + [rpm]).standardOutput.split(separator: "\n").map(String.init))
        }
        let listing = try query(["--qf", "[%{FILEMODES:perms} %{FILENAMES}\\n]"])
        return Package(
            files: Set(listing.map { String($0.drop { $0 != " " }.dropFirst()) }),
            directories: Set(listing.filter { $0.hasPrefix("d") }.map { String($0.drop { $0 != " " }.dropFirst()) }),
            configFiles: try query(["-c"]))
    }
}

/// A package tree on disk, as absolute paths inside the package.
enum Tree {
    static func list(_ root: URL) throws -> (files: Set<String>, directories: Set<String>) {
        var files = Set<String>()
        var directories = Set<String>()
        for relative in try FileManager.default.subpathsOfDirectory(atPath: root.path) {
            let values = try root.appendingPathComponent(relative).resourceValues(forKeys: [.isDirectoryKey])
            if values.isDirectory == true { directories.insert("/" + relative) } else { files.insert("/" + relative) }
        }
        return (files, directories)
    }
}

/// A pacman hook file: `[Trigger]` sections, then one `[Action]`, with only the keys libalpm knows.
struct PacmanHook {
    struct Trigger {
        var type = ""
        var operations = [String]()
        var targets = [String]()
    }

    let name: String
    var triggers = [Trigger]()
    var action = [String: String]()

    init(file: String) throws {
        name = URL(fileURLWithPath: file).lastPathComponent
        let text = try String(contentsOf: PackagingSyntaxTests.packageRoot.appendingPathComponent(file), encoding: .utf8)
        var section = ""
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let location = "\(file):\(index + 1)"
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                section = line
                #expect(["[Trigger]", "[Action]"].contains(section), "\(location): unknown section \(line)")
                #expect(section == "[Trigger]" || action.isEmpty, "\(location): a second [Action]")
                if section == "[Trigger]" {
                    #expect(action.isEmpty, "\(location): [Trigger] after [Action]")
                    triggers.append(Trigger())
                }
                continue
            }
            let parts = line.components(separatedBy: "=")
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            let value = parts.count > 1 ? parts.dropFirst().joined(separator: "=").trimmingCharacters(in: .whitespaces) : ""
            switch (section, key) {
            case ("[Trigger]", "Type"): triggers[triggers.count - 1].type = value
            case ("[Trigger]", "Operation"): triggers[triggers.count - 1].operations.append(value)
            case ("[Trigger]", "Target"): triggers[triggers.count - 1].targets.append(value)
            case ("[Action]", "Description"), ("[Action]", "When"), ("[Action]", "Exec"), ("[Action]", "Depends"),
                ("[Action]", "AbortOnFail"), ("[Action]", "NeedsTargets"):
                #expect(action[key] == nil, "\(location): \(key) twice")
                action[key] = value
            default:
                Issue.record("\(location): \(key) is not a key of \(section.isEmpty ? "any section" : section)")
            }
        }
        #expect(!triggers.isEmpty && !(action["Description"] ?? "").isEmpty, "\(file): a trigger and a description")
    }
}

/// hooks/pacman/kmodmgr-hook run against a root with four kernels (6.6.1-arch1-1 without headers) and a stand-in
/// `kmodmgr` first on PATH, which records its arguments, prints the `status` lines it was given and a line on
/// stdout, and exits with the status it was given (11 by default: some package failed). A stand-in, because this
/// checks the hook's plumbing; kmodmgr's own commands are tested against real kernels elsewhere.
struct HookWorld {
    struct Result {
        let status: Int32
        let standardOutput: String
        let standardError: String
        /// One line per kmodmgr call, the root written as ROOT.
        let calls: [String]
    }

    let work: TemporaryDirectory
    let exitStatus: Int32

    init(status: [String] = [], exitStatus: Int32 = 11) throws {
        work = try TemporaryDirectory()
        self.exitStatus = exitStatus
        let files = FileManager.default
        for kernel in ["6.1.0-lts", "6.6.1-arch1-1", "6.6.2-arch1-1", "6.10.0-arch1-1"] {
            let headers = kernel == "6.6.1-arch1-1" ? "" : "/build/include"
            try files.createDirectory(at: work.path("root/usr/lib/modules/\(kernel)\(headers)"), withIntermediateDirectories: true)
        }
        try files.createDirectory(at: work.path("bin"), withIntermediateDirectories: true)
        try (status.map { $0 + "\n" }.joined()).write(to: work.path("status"), atomically: true, encoding: .utf8)
        let fake = """
            #!/bin/sh
            printf '%s\\n' "$*" >> "\(work.path("calls").path)"
            [ "$1" = status ] && cat "\(work.path("status").path)"
            echo "a line on stdout"
            exit "$FAKE_KMODMGR_EXIT"

            """
        try fake.write(to: work.path("bin/kmodmgr"), atomically: true, encoding: .utf8)
        chmod(work.path("bin/kmodmgr").path, 0o755)
    }

    /// Runs the hook in `mode` with `targets` on stdin, as pacman does.
    func run(_ mode: String, targets: [String]) throws -> Result {
        let files = FileManager.default
        try? files.removeItem(at: work.path("calls"))
        try (targets.map { $0 + "\n" }.joined()).write(to: work.path("targets"), atomically: true, encoding: .utf8)
        for name in ["stdout", "stderr"] { try Data().write(to: work.path(name)) }
        let process = Process()
        process.executableURL = PackagingSyntaxTests.packageRoot.appendingPathComponent("hooks/pacman/kmodmgr-hook")
        process.arguments = mode.isEmpty ? [] : [mode]
        process.environment = [
            "PATH": work.path("bin").path + ":/usr/bin:/bin", "KMODMGR_ROOT": work.path("root").path,
            "FAKE_KMODMGR_EXIT": String(exitStatus),
        ]
        process.standardInput = try FileHandle(forReadingFrom: work.path("targets"))
        process.standardOutput = try FileHandle(forWritingTo: work.path("stdout"))
        process.standardError = try FileHandle(forWritingTo: work.path("stderr"))
        try process.run()
        process.waitUntilExit()
        let calls = (try? String(contentsOf: work.path("calls"), encoding: .utf8)) ?? ""
        return Result(
            status: process.terminationStatus,
            standardOutput: try String(contentsOf: work.path("stdout"), encoding: .utf8),
            standardError: try String(contentsOf: work.path("stderr"), encoding: .utf8),
            calls: calls.replacingOccurrences(of: work.path("root").path, with: "ROOT").split(separator: "\n").map(String.init))
    }
}

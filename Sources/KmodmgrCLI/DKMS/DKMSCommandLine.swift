/// A `dkms` command line, parsed the way DKMS 3.0.10's own loop parses it: options anywhere, `--opt value` or
/// `--opt=value`, one action word, and the other words read as what they look like (`DIR/dkms.conf`, a directory
/// holding a dkms.conf, else `NAME[/VERSION]`). Pure: reading the file system to tell a directory from a name is
/// the `looksLikeSource` closure's.
struct DKMSCommandLine: Equatable {
    /// The actions the drop-in serves: DKMS 3.0.10's, the kernel hooks' words of DKMS 2.x that Ubuntu's scripts
    /// still use, `generate_mok` (DKMS 3.1), and kmodmgr's `kmodmgr_common_postinst` (what the drop-in's
    /// `/usr/lib/dkms/common.postinst` runs).
    enum Action: String, CaseIterable {
        case add, build, install, uninstall, unbuild, remove, status, autoinstall, match
        case kernelPreinst = "kernel_preinst"
        case kernelPostinst = "kernel_postinst"
        case kernelPrerm = "kernel_prerm"
        case generateMok = "generate_mok"
        case commonPostinst = "kmodmgr_common_postinst"
    }

    /// Why a command line is refused, with DKMS's exit status for it.
    struct Refusal: Error, Equatable {
        let message: String
        let status: Int32
    }

    var action: Action?
    var module: String?
    var version: String?
    /// `-k KVER[/ARCH]`, repeatable.
    var kernels: [String] = []
    var arches: [String] = []
    var templateKernel: String?
    /// `DIR` or `DIR/dkms.conf` given as a word (`add`, `build`, `install` accept them).
    var sourceDirectory: String?
    var kernelSourceDirectory: String?
    var all = false
    var force = false
    var quiet = false
    var verbose = false
    var noDepmod = false
    var modprobeOnInstall = false
    var rpmSafeUpgrade = false
    var jobs: Int?
    /// `--dkmstree`, `--sourcetree`, `--installtree`, `--config`, `--archive`, `--directive`, `-c`,
    /// `--force-version-override`, `--binaries-only`, `--source-only` and DKMS's deprecated options: accepted, and
    /// named in a warning when kmodmgr does not honour them.
    var ignored: [String] = []
    /// kmodmgr's own `--root DIR` (what every kmodmgr command takes): the drop-in's tests run in temporary roots.
    var root: String?
    /// Words after the action that are none of the above (`kmodmgr_common_postinst`'s positional arguments).
    var operands: [String] = []
    var printVersion = false

    /// Parses `arguments` (without the program name).
    static func parse(_ arguments: [String], looksLikeSource: (String) -> Bool) throws(Refusal) -> DKMSCommandLine {
        var line = DKMSCommandLine()
        var index = 0
        func value(_ option: String, inline: String?) throws(Refusal) -> String {
            if let inline { return inline }
            index += 1
            guard index < arguments.count else { throw Refusal(message: "option \(option) needs a value", status: 2) }
            return arguments[index]
        }
        while index < arguments.count {
            let word = arguments[index]
            let (option, inline) = Self.split(word)
            switch option {
            case "-m", "--module":
                let text = try value(option, inline: inline)
                let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
                line.module = parts.first
                if parts.count == 2 { line.version = parts[1] }
            case "-v", "--module-version": line.version = try value(option, inline: inline)
            case "-k", "--kernelver": line.kernels.append(try value(option, inline: inline))
            case "-a", "--arch": line.arches.append(try value(option, inline: inline))
            case "--templatekernel": line.templateKernel = try value(option, inline: inline)
            case "--kernelsourcedir": line.kernelSourceDirectory = try value(option, inline: inline)
            case "-j": line.jobs = Int(try value(option, inline: inline))
            case "--root": line.root = try value(option, inline: inline)
            case "--dkmstree", "--sourcetree", "--installtree", "--config", "--archive", "--directive", "-c":
                line.ignored.append("\(option) \(try value(option, inline: inline))")
            case "--all": line.all = true
            case "--force": line.force = true
            case "-q", "--quiet": line.quiet = true
            case "--verbose": line.verbose = true
            case "--no-depmod": line.noDepmod = true
            case "--modprobe-on-install": line.modprobeOnInstall = true
            case "--rpm_safe_upgrade": line.rpmSafeUpgrade = true
            case "-V", "--version": line.printVersion = true
            case "--debug", "--force-version-override", "--binaries-only", "--source-only", "--symlink-modules", "--no-initrd",
                "--no-clean-kernel", "--no-prepare-kernel":
                line.ignored.append(option)
            default:
                if word.hasPrefix("-") && word.count > 1 { throw Refusal(message: "Unknown option: \(word)", status: 2) }
                if line.action == .commonPostinst {
                    line.operands.append(word)
                } else if let action = Action(rawValue: word) {
                    guard line.action == nil else { throw Refusal(message: "Cannot specify more than one action.", status: 4) }
                    line.action = action
                } else if word == "dkms.conf" {
                    line.sourceDirectory = "."
                } else if word.hasSuffix("/dkms.conf") || looksLikeSource(word) {
                    line.sourceDirectory = word.hasSuffix("/dkms.conf") ? String(word.dropLast("/dkms.conf".count)) : word
                } else if line.module == nil {
                    let parts = word.split(separator: "/", maxSplits: 1).map(String.init)
                    line.module = parts.first
                    if parts.count == 2 { line.version = parts[1] }
                } else {
                    throw Refusal(message: "I do not know how to handle \(word).", status: 2)
                }
            }
            index += 1
        }
        try line.check()
        return line
    }

    /// `--opt=value` split at its `=`; other words whole.
    private static func split(_ word: String) -> (String, String?) {
        guard word.hasPrefix("--"), let equals = word.firstIndex(of: "=") else { return (word, nil) }
        return (String(word[..<equals]), String(word[word.index(after: equals)...]))
    }

    /// DKMS's own sanity checks, with its statuses.
    private func check() throws(Refusal) {
        if arches.count > 1 && arches.count != kernels.count {
            throw Refusal(
                message:
                    "If more than one arch is specified on the command line, then there must be an equal number of kernel versions also specified (1:1 relationship).",
                status: 1)
        }
        if !kernels.isEmpty && all {
            throw Refusal(message: "You cannot specify a kernel version and also specify --all on the command line.", status: 2)
        }
        if !arches.isEmpty && all {
            throw Refusal(message: "You cannot specify an arch and also specify --all on the command line.", status: 3)
        }
    }

    /// The kernels as `KVER/ARCH` where an arch was given (one `-a` for every `-k`, or one each).
    var kernelReferences: [String] {
        kernels.enumerated().map { index, kernel in
            if kernel.contains("/") { return kernel }
            let arch = arches.count == kernels.count ? arches[index] : arches.first
            return arch.map { "\(kernel)/\($0)" } ?? kernel
        }
    }
}

import Foundation
import TestSupport

/// In-tree modules the install tests copy from this machine's kernel image into a test root: enough for overriding
/// (`dummy`), dependencies (`vfat` → `fat`) and a realistic index, small enough to index many times.
let inTreeSample = [
    "kernel/drivers/net/dummy.ko", "kernel/fs/fat/fat.ko", "kernel/fs/fat/vfat.ko", "kernel/drivers/hid/hid.ko",
    "kernel/drivers/hid/hid-generic.ko",
]

extension LifecycleRoot {
    /// The newest kernel with headers whose installed image also brought its module tree (`/lib/modules/K/kernel`).
    func kernelWithModules() throws -> String {
        guard let kernel = kernels.last(where: { FileManager.default.fileExists(atPath: "/lib/modules/\($0)/kernel") }) else {
            throw DebianCorpus.Unavailable(reason: "no kernel image with modules is installed (scripts/setup installs one)")
        }
        return kernel
    }

    /// Copies `inTreeSample` and the kernel's modules.order/builtin files into the root, compressing the modules
    /// with `xz` as a distribution that compresses in packaging would (`xz: true`). Returns the copied paths.
    @discardableResult
    func populateInTree(_ kernel: String, xz: Bool = false) throws -> [String] {
        let system = "/lib/modules/\(kernel)"
        var copied = [String]()
        for module in inTreeSample {
            let target = directory.path("lib/modules/\(kernel)/\(module)")
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(system)/\(module)", toPath: target.path)
            if xz {
                try run("xz", ["--check=crc32", "--lzma2=dict=1MiB", target.path])
                copied.append("lib/modules/\(kernel)/\(module).xz")
            } else {
                copied.append("lib/modules/\(kernel)/\(module)")
            }
        }
        for file in ["modules.order", "modules.builtin", "modules.builtin.modinfo"] {
            try FileManager.default.copyItem(atPath: "\(system)/\(file)", toPath: directory.path("lib/modules/\(kernel)/\(file)").path)
        }
        // Indexed, as a real system's tree is before anything is installed.
        try run("depmod", ["-b", path, kernel])
        return copied
    }

    /// What `depmod` (kmod) would write for this root's tree differs from what is there: the root's module
    /// directory is copied and indexed by the real depmod, and the ten files compared. Empty when identical.
    func indexDifferences(_ kernel: String) throws -> [String] {
        let scratch = try TemporaryDirectory()
        let copy = scratch.path("lib/modules")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        try run("cp", ["-a", directory.path("lib/modules/\(kernel)").path, copy.path])
        try FileManager.default.removeItem(atPath: copy.appendingPathComponent("\(kernel)/build").path)
        let depmod = try run("depmod", ["-b", scratch.url.path, kernel])
        guard depmod.status == 0 else { return ["depmod failed: \(depmod.standardError)"] }
        return DepmodOracle.indexFileNames.compactMap { name in
            let ours = try? bytes(of: directory.path("lib/modules/\(kernel)/\(name)"))
            let theirs = try? bytes(of: copy.appendingPathComponent("\(kernel)/\(name)"))
            return ours == theirs ? nil : "\(name) differs from depmod's"
        }
    }

    /// The three-way agreement the install issue demands, as a list of what is wrong (empty when all agree):
    /// - nothing is left of a transaction or a build (journal, re-index marker, staged files, scratch copy), and no
    ///   temp file of kmodmgr's anywhere under the root (`leftovers()`);
    /// - every install record's files exist with the recorded digests, and every module file outside `kernel/`
    ///   belongs to a record;
    /// - every in-tree file is as copied, unless a record says it was moved aside (then its backup exists);
    /// - the index equals depmod's.
    func agreement(_ kernel: String, inTree: [String: [UInt8]]) throws -> [String] {
        var problems = [String]()
        for leftover in [".journal", ".reindex", ".stage", ".build"] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path("var/lib/kmodmgr/\(leftover)").path)) ?? []
            if !entries.isEmpty { problems.append("left in \(leftover): \(entries)") }
        }
        let temps = try leftovers()
        if !temps.isEmpty { problems.append("temp files left: \(temps)") }
        var recorded = Set<String>()
        var displaced = Set<String>()
        for record in try installRecords(kernel) {
            for line in record.split(separator: "\n") {
                let fields = line.split(separator: "=", maxSplits: 1).map(String.init)
                let parts = fields[1].split(separator: " ").map(String.init)
                if fields[0] == "module" {
                    recorded.insert(String(parts[1].dropFirst()))
                    if try sha256(String(parts[1].dropFirst())) != parts[2] {
                        problems.append("\(parts[1]) does not hold what was installed")
                    }
                } else if fields[0] == "displaced" {
                    displaced.insert(String(parts[1].dropFirst()))
                    if try sha256(String(parts[2].dropFirst())) != parts[3] { problems.append("the backup \(parts[2]) is not intact") }
                }
            }
        }
        for file in try moduleFiles(kernel) where !recorded.contains(file) && inTree[file] == nil {
            problems.append("\(file) is installed but no record names it")
        }
        for (file, contents) in inTree where !recorded.contains(file) {
            let now = try? bytes(of: directory.path(file))
            if displaced.contains(file) {
                if now != nil { problems.append("\(file) is moved aside by a record but present") }
            } else if now != contents {
                problems.append("in-tree \(file) was changed or removed")
            }
        }
        return problems + (try indexDifferences(kernel))
    }

    /// Every path under the root (the whole tree, headers included) named as kmodmgr names what is on its way into
    /// place — `NAME.tmp-PID`, `NAME.kmodmgr-PID-N.tmp`, `NAME.kmodmgr-PID-previous`, `NAME.kmodmgr-tmp-PID`,
    /// `STAMP-PID.partial` — or anything resembling those, relative to the root. The shapes are written out here,
    /// loosely, not taken from kmodmgr: nothing else in a test root is named so (the parse cache,
    /// `modules.kmodmgr-cache.bin`, has no digit after the dash).
    func leftovers() throws -> [String] {
        let found = try run(
            "find",
            [
                path, "(", "-name", "*.tmp-[0-9]*", "-o", "-name", "*.kmodmgr-[0-9]*", "-o", "-name", "*.kmodmgr-tmp-*", "-o", "-name",
                "*.partial", ")", "-print",
            ])
        return found.standardOutput.split(separator: "\n").map { String($0.dropFirst(path.count + 1)) }.sorted()
    }

    /// The install records (`installed`) of every package for `kernel`, as text.
    func installRecords(_ kernel: String) throws -> [String] {
        let state = directory.path("var/lib/kmodmgr").path
        guard let enumerator = FileManager.default.enumerator(atPath: state) else { return [] }
        return try enumerator.compactMap { $0 as? String }
            .filter { $0.hasSuffix("/\(kernel)/x86_64/installed") }
            .map { try String(contentsOfFile: "\(state)/\($0)", encoding: .utf8) }
    }

    /// Every module file (`.ko`, `.ko.xz`, `.ko.zst`) under the kernel's module directory, relative to the root.
    func moduleFiles(_ kernel: String) throws -> [String] {
        let base = "lib/modules/\(kernel)"
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path(base).path) else { return [] }
        return enumerator.compactMap { $0 as? String }
            .filter { !$0.hasPrefix("build") && ($0.hasSuffix(".ko") || $0.hasSuffix(".ko.xz") || $0.hasSuffix(".ko.zst")) }
            .map { "\(base)/\($0)" }
    }

    /// A snapshot of the in-tree files copied by `populateInTree`.
    func snapshot(_ files: [String]) throws -> [String: [UInt8]] {
        var result = [String: [UInt8]]()
        for file in files { result[file] = try bytes(of: directory.path(file)) }
        return result
    }

    func sha256(_ relative: String) throws -> String {
        guard FileManager.default.fileExists(atPath: directory.path(relative).path) else { return "missing" }
        return String(try run("sha256sum", [directory.path(relative).path]).standardOutput.prefix(64))
    }

    /// Writes kmodmgr's settings file under the root.
    func configure(_ text: String) throws {
        let file = directory.path("etc/kmodmgr/kmodmgr.conf")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
    }
}

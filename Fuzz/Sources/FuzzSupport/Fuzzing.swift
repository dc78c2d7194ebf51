import CFuzzDriver
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What every fuzz target shares: starting libFuzzer, turning its input into bytes, a scratch folder for APIs that
/// read files, and the one way a target reports a broken invariant.
public enum Fuzzing {
    /// Hands the process to libFuzzer, which reads its flags from the command line and calls the target's
    /// `LLVMFuzzerTestOneInput` on every input; exits with libFuzzer's status (0, or non-zero after a crash, leak or
    /// time-out).
    public static func run() -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput))
    }

    /// libFuzzer's input as an array (a copy: ASan then catches a read past its end).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// A broken invariant is a finding like a crash: say which, then trap so that libFuzzer saves the input.
    public static func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line)
    {
        guard !condition else { return }
        fatalError("fuzz invariant broken: \(message())", file: file, line: line)
    }

    /// A folder for this process's scratch files, made on first use: `kmodmgr-fuzz-<pid>` in `$KMODMGR_FUZZ_SCRATCH`
    /// (scripts/fuzz sets it and removes it afterwards), else in /dev/shm; removed at a normal exit. A disk-backed
    /// folder would cost a flush per input: ext4 writes a truncated and rewritten file back at once.
    public static let scratchDirectory: FilePath = {
        let base = getenv("KMODMGR_FUZZ_SCRATCH").map { String(cString: $0) } ?? (FileTree.isDirectory("/dev/shm") ? "/dev/shm" : "/tmp")
        let directory = FilePath(base).appending("kmodmgr-fuzz-\(getpid())")
        do { try FileTree.makeDirectories(directory) } catch { fatalError("cannot make the scratch folder \(directory): \(error)") }
        removeAtExit = directory.string
        atexit { if let path = Fuzzing.removeAtExit { _ = try? FileTree.remove(FilePath(path)) } }
        return directory
    }()

    nonisolated(unsafe) private static var removeAtExit: String?

    /// Replaces the contents of the file at `path` (made if missing) with `bytes`, in place: the inode stays the same,
    /// so hard links to it see the new contents too.
    public static func overwrite(_ path: FilePath, with bytes: [UInt8]) {
        let fd = path.withPlatformString { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { fatalError("cannot write the scratch file \(path): errno \(errno)") }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            guard count > 0 else { fatalError("cannot write the scratch file \(path): errno \(errno)") }
            written += count
        }
    }
}

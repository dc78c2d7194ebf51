import KmodBridge
import LoadCheck
import SystemPackage
import SystemSupport

#if canImport(Glibc)
    import Glibc  // ENOEXEC, EKEYREJECTED, ENOKEY
#endif

/// `kmodmgr load` / `unload`: LoadCheck first, then libkmod (dependencies and soft dependencies from the index,
/// module options), then a look at `/sys/module` to confirm the module is live. A refusal is explained with
/// LoadCheck's findings rather than the kernel's bare errno.
public enum Loading {
    public struct Outcome: Sendable {
        public let module: String
        /// The file loaded (nil for a built-in module).
        public let path: FilePath?
        /// LoadCheck's verdict before loading (its taints are what the kernel logged).
        public let verdict: LoadVerdict?
    }

    /// Loads `name` (a module name or alias from the index), or the file `file` by itself, into the running
    /// kernel, whose release is `release`. Unless `force`, a module LoadCheck says the kernel will refuse is not
    /// offered to it.
    public static func load(
        name: String?, file: FilePath?, options: String?, force: Bool, release: String, root: Root
    ) throws(LoadError) -> Outcome {
        let context: KmodContext
        do { context = try KmodContext(moduleDirectory: root.moduleDirectory(release: release), readConfiguration: root.path == "/") } catch
        {
            throw .kmod(error)
        }
        let target: (name: String, path: FilePath?)
        do {
            if let file {
                target = (try context.moduleName(fileAt: file), file)
            } else {
                let wanted = name ?? ""
                guard let found = try context.lookup(wanted).first else { throw LoadError.notFound(wanted, release: release) }
                target = (found.name, found.path)
            }
        } catch let error as KmodError {
            throw .kmod(error)
        } catch let error as LoadError {
            throw error
        } catch {
            throw .notFound(name ?? file?.string ?? "", release: release)
        }
        let verdict = target.path.map { Verifying.verify(file: $0, release: release, root: root) }
        if let verdict, !verdict.willLoad, !force {
            throw .predictedRefusal(module: target.name, reasons: verdict.refusals.map(\.description))
        }
        do {
            if let file {
                try context.insert(fileAt: file, options: options)
            } else {
                _ = try context.probeInsert(target.name, options: options)
            }
        } catch {
            if error.errno == .fileExists { throw .alreadyLoaded(target.name) }
            throw .refused(module: target.name, errno: error.errno, diagnosis: verdict?.refusals.map(\.description) ?? [])
        }
        guard context.isLive(target.name) else { throw .notLive(target.name) }
        return Outcome(module: target.name, path: target.path, verdict: verdict)
    }

    /// Unloads the module `name` from the running kernel, whose release is `release` (as `rmmod`).
    public static func unload(name: String, release: String, root: Root) throws(LoadError) {
        let context: KmodContext
        do { context = try KmodContext(moduleDirectory: root.moduleDirectory(release: release)) } catch { throw .kmod(error) }
        do { try context.remove(name) } catch {
            switch error.errno {
            case .noSuchFileOrDirectory: throw .notLoaded(name)
            case .resourceBusy: throw .inUse(name)
            default: throw .kmod(error)
            }
        }
    }
}

/// Why a module was not loaded or unloaded; one line each, naming the module.
public enum LoadError: Error, Sendable, CustomStringConvertible {
    case notFound(String, release: String)
    case predictedRefusal(module: String, reasons: [String])
    case refused(module: String, errno: Errno, diagnosis: [String])
    case alreadyLoaded(String)
    case notLive(String)
    case notLoaded(String)
    case inUse(String)
    case kmod(KmodError)

    public var description: String {
        switch self {
        case .notFound(let name, let release): "\(name): no such module in the index of \(release)"
        case .predictedRefusal(let module, let reasons):
            "\(module): the kernel will refuse it: \(reasons.joined(separator: "; ")) (--force tries anyway)"
        case .refused(let module, let errno, let diagnosis):
            "\(module): the kernel refused it (\(Self.kernelWords(errno)))"
                + (diagnosis.isEmpty ? "" : ": " + diagnosis.joined(separator: "; "))
        case .alreadyLoaded(let module): "\(module) is already loaded"
        case .notLive(let module): "\(module) was inserted but is not live (/sys/module/\(module)/initstate)"
        case .notLoaded(let module): "\(module) is not loaded"
        case .inUse(let module): "\(module) is in use"
        case .kmod(let error): error.description
        }
    }

    /// What insmod would print for the errno.
    private static func kernelWords(_ errno: Errno) -> String {
        switch errno {
        case Errno(rawValue: ENOEXEC): "Invalid module format"
        case .noSuchFileOrDirectory: "Unknown symbol in module, or unknown parameter"
        case .invalidArgument: "Invalid argument: a symbol version, namespace or parameter (see dmesg)"
        case Errno(rawValue: EKEYREJECTED), Errno(rawValue: ENOKEY): "Key was rejected by service"
        default: errno.description
        }
    }
}

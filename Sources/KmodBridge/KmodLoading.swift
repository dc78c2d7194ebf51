import CKmod
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Loading and unloading through libkmod, as `modprobe` and `rmmod` do.
extension KmodContext {
    /// Loads the module `name` resolves to (a name or an alias) with its dependencies and soft dependencies from
    /// the index (`kmod_module_probe_insert_module`), passing `options` to it. modprobe.d `install` commands are
    /// not run: kmodmgr never hands configuration to a shell. Returns the path of the module file loaded (nil for
    /// a built-in one). Throws EEXIST when it is already loaded, ENOENT when nothing is called `name`.
    public func probeInsert(_ name: String, options: String?) throws(KmodError) -> FilePath? {
        let found = try lookup(name)
        guard let first = found.first else { throw KmodError("kmod_module_new_from_lookup", subject: name, errno: .noSuchFileOrDirectory) }
        var module: OpaquePointer? = nil
        let created = kmod_module_new_from_name(context, first.name, &module)
        guard created >= 0, let module else {
            throw KmodError("kmod_module_new_from_name", subject: first.name, errno: Errno(rawValue: -created))
        }
        defer { kmod_module_unref(module) }
        let flags = UInt32(KMOD_PROBE_FAIL_ON_LOADED.rawValue | KMOD_PROBE_IGNORE_COMMAND.rawValue)
        let rc = kmod_module_probe_insert_module(module, flags, options, nil, nil, nil)
        guard rc == 0 else {
            // probe_insert reports "blacklisted" and "already loaded" as positive KMOD_PROBE_APPLY_* values.
            throw KmodError("kmod_module_probe_insert_module", subject: first.name, errno: rc < 0 ? Errno(rawValue: -rc) : .fileExists)
        }
        return first.path
    }

    /// Loads the module file at `path` by itself (`kmod_module_insert_module`), without dependencies.
    public func insert(fileAt path: FilePath, options: String?) throws(KmodError) {
        var module: OpaquePointer? = nil
        let created = path.withPlatformString { kmod_module_new_from_path(context, $0, &module) }
        guard created >= 0, let module else {
            throw KmodError("kmod_module_new_from_path", subject: path.string, errno: Errno(rawValue: -created))
        }
        defer { kmod_module_unref(module) }
        let rc = kmod_module_insert_module(module, 0, options)
        guard rc == 0 else { throw KmodError("kmod_module_insert_module", subject: path.string, errno: Errno(rawValue: -rc)) }
    }

    /// Unloads the loaded module `name` (`kmod_module_remove_module`, like `rmmod`): EBUSY while it is in use,
    /// ENOENT when it is not loaded.
    public func remove(_ name: String) throws(KmodError) {
        var module: OpaquePointer? = nil
        let created = kmod_module_new_from_name(context, name, &module)
        guard created >= 0, let module else {
            throw KmodError("kmod_module_new_from_name", subject: name, errno: Errno(rawValue: -created))
        }
        defer { kmod_module_unref(module) }
        let rc = kmod_module_remove_module(module, 0)
        guard rc == 0 else { throw KmodError("kmod_module_remove_module", subject: name, errno: Errno(rawValue: -rc)) }
    }

    /// Whether the module `name` is loaded and its init has completed (`/sys/module/NAME/initstate` = live).
    public func isLive(_ name: String) -> Bool {
        var module: OpaquePointer? = nil
        guard kmod_module_new_from_name(context, name, &module) >= 0, let module else { return false }
        defer { kmod_module_unref(module) }
        return kmod_module_get_initstate(module) == Int32(KMOD_MODULE_LIVE.rawValue)
    }

    /// The name of the module in the file at `path` as libkmod reads it.
    public func moduleName(fileAt path: FilePath) throws(KmodError) -> String {
        var module: OpaquePointer? = nil
        let created = path.withPlatformString { kmod_module_new_from_path(context, $0, &module) }
        guard created >= 0, let module else {
            throw KmodError("kmod_module_new_from_path", subject: path.string, errno: Errno(rawValue: -created))
        }
        defer { kmod_module_unref(module) }
        return String(cString: kmod_module_get_name(module))
    }
}

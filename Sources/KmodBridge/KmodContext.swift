import CKmod
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A module found by a libkmod lookup: its name, and its file unless it is built into the kernel.
public struct KmodModuleReference: Sendable, Hashable {
    public let name: String
    /// The module file; nil for a built-in module.
    public let path: FilePath?
}

/// A `key`/`value` pair as `kmod_module_get_info` reports it (modinfo strings, then signature fields).
public struct KmodInfoEntry: Sendable, Hashable {
    public let key: String
    public let value: String
}

/// A symbol and CRC, as `kmod_module_get_versions`/`_get_symbols`/`_get_dependency_symbols` report them.
public struct KmodSymbol: Sendable, Hashable {
    public let name: String
    public let crc: UInt64
    /// `U` (strong) or `W` (weak) for dependency symbols; nil for the other lists.
    public let binding: Character?
}

/// A libkmod context (`struct kmod_ctx`) over one module directory, released with `kmod_unref` exactly once.
public struct KmodContext: ~Copyable {
    let context: OpaquePointer

    /// Calls `kmod_new(moduleDirectory, config)`. With `readConfiguration` false, no modprobe.d file is read
    /// (as `modinfo` and `depmod` do); `moduleDirectory/modules.softdep` is still read, as libkmod always does.
    public init(moduleDirectory: FilePath, readConfiguration: Bool = false) throws(KmodError) {
        let created: OpaquePointer? = moduleDirectory.withPlatformString { directory in
            if readConfiguration { return kmod_new(directory, nil) }
            var noConfiguration: UnsafePointer<CChar>? = nil
            return withUnsafePointer(to: &noConfiguration) { kmod_new(directory, $0) }
        }
        guard let created else { throw KmodError("kmod_new", subject: moduleDirectory.string, errno: .noMemory) }
        context = created
    }

    /// Calls `kmod_unref`.
    deinit { kmod_unref(context) }

    /// Every module `alias` resolves to (`kmod_module_new_from_lookup`): names, symbols, aliases, built-ins.
    /// Finding nothing is an empty list, not an error.
    public func lookup(_ alias: String) throws(KmodError) -> [KmodModuleReference] {
        var list: OpaquePointer? = nil
        let rc = kmod_module_new_from_lookup(context, alias, &list)
        guard rc >= 0 else { throw KmodError("kmod_module_new_from_lookup", subject: alias, errno: Errno(rawValue: -rc)) }
        defer { kmod_module_unref_list(list) }
        var found = [KmodModuleReference]()
        var entry = list
        while let current = entry {
            if let module = kmod_module_get_module(current) {
                let path = kmod_module_get_path(module).map { FilePath(String(cString: $0)) }
                found.append(KmodModuleReference(name: String(cString: kmod_module_get_name(module)), path: path))
                kmod_module_unref(module)
            }
            entry = kmod_list_next(list, current)
        }
        return found
    }

    /// `kmod_module_get_info` for the module file at `path`.
    public func info(ofModuleAt path: FilePath) throws(KmodError) -> [KmodInfoEntry] {
        try withModule(path: path) { module throws(KmodError) in try Self.info(of: module, subject: path.string) }
    }

    /// `kmod_module_get_info` for the module called `name` (for a built-in one, from `modules.builtin.modinfo`).
    public func info(ofModuleNamed name: String) throws(KmodError) -> [KmodInfoEntry] {
        var module: OpaquePointer? = nil
        let rc = kmod_module_new_from_name(context, name, &module)
        guard rc >= 0, let module else {
            throw KmodError("kmod_module_new_from_name", subject: name, errno: Errno(rawValue: -rc))
        }
        defer { kmod_module_unref(module) }
        return try Self.info(of: module, subject: name)
    }

    /// `kmod_module_get_versions` for the module file at `path`: its `__versions` entries.
    public func versions(ofModuleAt path: FilePath) throws(KmodError) -> [KmodSymbol] {
        try symbolList(
            path: path, function: "kmod_module_get_versions", get: kmod_module_get_versions,
            name: kmod_module_version_get_symbol, crc: kmod_module_version_get_crc, free: kmod_module_versions_free_list)
    }

    /// `kmod_module_get_symbols` for the module file at `path`: what it exports.
    public func exports(ofModuleAt path: FilePath) throws(KmodError) -> [KmodSymbol] {
        try symbolList(
            path: path, function: "kmod_module_get_symbols", get: kmod_module_get_symbols,
            name: kmod_module_symbol_get_symbol, crc: kmod_module_symbol_get_crc, free: kmod_module_symbols_free_list)
    }

    /// `kmod_module_get_dependency_symbols` for the module file at `path`: what it imports, with binding.
    public func imports(ofModuleAt path: FilePath) throws(KmodError) -> [KmodSymbol] {
        try symbolList(
            path: path, function: "kmod_module_get_dependency_symbols", get: kmod_module_get_dependency_symbols,
            name: kmod_module_dependency_symbol_get_symbol, crc: kmod_module_dependency_symbol_get_crc,
            free: kmod_module_dependency_symbols_free_list,
            binding: { Character(Unicode.Scalar(UInt8(truncatingIfNeeded: kmod_module_dependency_symbol_get_bind($0)))) })
    }

    /// Runs `body` with a module handle for `path` (`kmod_module_new_from_path`), released afterwards.
    private func withModule<R>(path: FilePath, _ body: (OpaquePointer) throws(KmodError) -> R) throws(KmodError) -> R {
        var module: OpaquePointer? = nil
        let rc = path.withPlatformString { kmod_module_new_from_path(context, $0, &module) }
        guard rc >= 0, let module else {
            throw KmodError("kmod_module_new_from_path", subject: path.string, errno: Errno(rawValue: -rc))
        }
        defer { kmod_module_unref(module) }
        return try body(module)
    }

    private static func info(of module: OpaquePointer, subject: String) throws(KmodError) -> [KmodInfoEntry] {
        var list: OpaquePointer? = nil
        let rc = kmod_module_get_info(module, &list)
        guard rc >= 0 else { throw KmodError("kmod_module_get_info", subject: subject, errno: Errno(rawValue: -rc)) }
        defer { kmod_module_info_free_list(list) }
        var entries = [KmodInfoEntry]()
        var entry = list
        while let current = entry {
            let key = kmod_module_info_get_key(current).map { String(cString: $0) } ?? ""
            let value = kmod_module_info_get_value(current).map { String(cString: $0) } ?? ""
            entries.append(KmodInfoEntry(key: key, value: value))
            entry = kmod_list_next(list, current)
        }
        return entries
    }

    /// Reads one of libkmod's symbol lists for the module at `path` into values and frees it.
    private func symbolList(
        path: FilePath, function: String,
        get: (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32,
        name: (OpaquePointer?) -> UnsafePointer<CChar>?, crc: (OpaquePointer?) -> UInt64,
        free: (OpaquePointer?) -> Void, binding: ((OpaquePointer?) -> Character)? = nil
    ) throws(KmodError) -> [KmodSymbol] {
        try withModule(path: path) { module throws(KmodError) in
            var list: OpaquePointer? = nil
            let rc = get(module, &list)
            // A module without the section the list comes from (no exports, no __versions) is reported as
            // -ENOENT by kmod 30 and -ENODATA by later versions: that is an empty list, not a failure.
            if rc == -ENOENT || rc == -ENODATA { return [] }
            guard rc >= 0 else { throw KmodError(function, subject: path.string, errno: Errno(rawValue: -rc)) }
            defer { free(list) }
            var symbols = [KmodSymbol]()
            var entry = list
            while let current = entry {
                symbols.append(
                    KmodSymbol(
                        name: name(current).map { String(cString: $0) } ?? "", crc: crc(current),
                        binding: binding?(current)))
                entry = kmod_list_next(list, current)
            }
            return symbols
        }
    }
}

/// Every variable DKMS 3.0.10 copies out of a dkms.conf, and what kmodmgr does with it: one row per name. A name not
/// in this table is not a directive (DKMS throws it away; kmodmgr warns when it looks like one).
struct DirectiveRow: Sendable {
    enum Status: Sendable {
        /// Read into `PackageManifest`.
        case honoured
        /// Read by DKMS only for its own legacy handling; kmodmgr reads it as the fallback for `modern`.
        case legacy(modern: String)
        /// DKMS prints "Deprecated feature" for it and does nothing; kmodmgr gives a note.
        case deprecated
        /// DKMS reads it and never uses it; kmodmgr gives a note.
        case unused
    }

    let name: String
    let status: Status
}

enum DirectiveTable {
    static let rows: [DirectiveRow] =
        [
            "PACKAGE_NAME", "PACKAGE_VERSION", "BUILT_MODULE_NAME", "BUILT_MODULE_LOCATION", "DEST_MODULE_NAME",
            "DEST_MODULE_LOCATION", "STRIP", "MAKE", "MAKE_MATCH", "CLEAN", "PATCH", "PATCH_MATCH", "PRE_BUILD", "POST_BUILD",
            "POST_ADD", "PRE_INSTALL", "POST_INSTALL", "POST_REMOVE", "AUTOINSTALL", "BUILD_EXCLUSIVE_KERNEL",
            "BUILD_EXCLUSIVE_ARCH", "BUILD_EXCLUSIVE_CONFIG", "BUILD_EXCLUSIVE_KERNEL_MIN", "BUILD_EXCLUSIVE_KERNEL_MAX",
            "BUILD_DEPENDS", "OBSOLETE_BY", "NO_WEAK_MODULES", "REMAKE_INITRD",
        ].map { DirectiveRow(name: $0, status: .honoured) }
        + [
            ("built_module_name", "BUILT_MODULE_NAME"), ("built_module_location", "BUILT_MODULE_LOCATION"),
            ("dest_module_name", "DEST_MODULE_NAME"), ("dest_module_location", "DEST_MODULE_LOCATION"), ("strip", "STRIP"),
            ("clean", "CLEAN"), ("patch_array", "PATCH"), ("remake_initrd", "REMAKE_INITRD"), ("build_exclude", "build_exclude"),
        ].map { DirectiveRow(name: $0.0, status: .legacy(modern: $0.1)) }
        + [
            "MODULES_CONF", "MODULES_CONF_OBSOLETES", "MODULES_CONF_ALIAS_TYPE", "MODULES_CONF_OBSOLETE_ONLY", "UDEV_TRIGGER",
            "modules_conf_array", "modules_conf_obsoletes", "modules_conf_alias_type", "modules_conf_obsolete_only",
            "udev_trigger",
        ].map { DirectiveRow(name: $0, status: .deprecated) }
        + ["SIGN_FILE", "SIGN_TOOL", "MOK_SIGNING_KEY", "MOK_CERTIFICATE"].map { DirectiveRow(name: $0, status: .unused) }

    /// Every directive name, in table order (the order the shell path prints them in).
    static let names: [String] = rows.map(\.name)

    static let byName: [String: DirectiveRow] = Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0) })

    /// Whether an assignment to `name` in a native file looks like a directive: upper case, digits and underscores.
    static func looksLikeDirective(_ name: String) -> Bool {
        name.utf8.first.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) } == true
            && name.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
    }
}

/// The raw values of the directives a dkms.conf set, by name and index, before any DKMS semantics: what bash would
/// hold after sourcing the file. Only names in the directive table appear, and only when set.
public struct DirectiveValues: Sendable, Equatable, Codable {
    public var values: [String: [Int: String]]

    public init(_ values: [String: [Int: String]]) {
        self.values = values
    }

    /// Every set element of `name` (index 0 for a scalar), empty when the file did not set it.
    public subscript(name: String) -> [Int: String] { values[name] ?? [:] }

    /// Element 0 of `name` (the scalar value), or "" when unset.
    public func scalar(_ name: String) -> String { values[name]?[0] ?? "" }

    /// The known directives among `variables`.
    init(from variables: ShellVariables) {
        var values: [String: [Int: String]] = [:]
        for name in DirectiveTable.names {
            let array = variables.array(name)
            if !array.isEmpty { values[name] = array }
        }
        self.values = values
    }
}

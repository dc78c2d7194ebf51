import Lifecycle

/// Renders a module description exactly as kmod 30's `modinfo` prints it.
struct ModinfoRenderer {
    /// `-F FIELD`: print only this field's values (and `filename`, `name`, `parm` as modinfo treats them).
    let field: String?
    /// What ends each printed value: a newline, or NUL with `-0`.
    let separator: String

    func render(_ module: ModuleDescription) -> String {
        var out = ""
        if let name = module.builtinName {
            if field == nil { out += padded("name:") + name + separator } else if field == "name" { out += name + separator }
        }
        if field == "filename" { return out + module.filename + separator }
        if field == nil { out += padded("filename:") + module.filename + separator }
        if field == "parm" { return out + renderParameters(module, prefix: false) }
        for entry in module.fields {
            if let field {
                if entry.key == field { out += entry.value + separator }
            } else if entry.key == "parm" || entry.key == "parmtype" {
                continue
            } else if separator == "\0" {
                out += entry.key + "=" + entry.value + separator
            } else {
                // printf("%s:%-*s", key, 15 - keylen, ""): a negative width pads by its absolute value.
                out += entry.key + ":" + String(repeating: " ", count: abs(15 - entry.key.utf8.count)) + entry.value + separator
            }
        }
        if field == nil { out += renderParameters(module, prefix: true) }
        return out
    }

    /// One line per parameter named in `parm`/`parmtype` entries, most recently first-seen first (modinfo
    /// prepends to its list), as `name:description (type)`.
    private func renderParameters(_ module: ModuleDescription, prefix: Bool) -> String {
        var order = [String]()
        var descriptions = [String: String]()
        var types = [String: String]()
        for entry in module.fields where entry.key == "parm" || entry.key == "parmtype" {
            guard let colon = entry.value.firstIndex(of: ":") else { continue }
            let name = String(entry.value[..<colon])
            let rest = String(entry.value[entry.value.index(after: colon)...])
            if descriptions[name] == nil && types[name] == nil { order.append(name) }
            if entry.key == "parm" { descriptions[name] = rest } else { types[name] = rest }
        }
        var out = ""
        for name in order.reversed() {
            let head = prefix ? padded("parm:") + name : name
            switch (descriptions[name], types[name]) {
            case (nil, let type?): out += head + (prefix ? ":" : ": (") + type + (prefix ? "" : ")") + separator
            case (let text?, let type?): out += head + ":" + text + " (" + type + ")" + separator
            case (let text?, nil): out += head + ":" + text + separator
            case (nil, nil): break
            }
        }
        return out
    }

    /// `printf("%-16s", label)`.
    private func padded(_ label: String) -> String {
        label + String(repeating: " ", count: max(0, 16 - label.utf8.count))
    }
}

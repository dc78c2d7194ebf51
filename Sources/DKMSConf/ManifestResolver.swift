import SystemPackage
import SystemSupport

/// DKMS's meaning of the directives (spec §2), applied to the raw values for one kernel: defaults, `MAKE_MATCH` and
/// `PATCH_MATCH` selection, legacy lower-case names, and validation of every name and path.
struct ManifestResolver {
    let directives: DirectiveValues
    let environment: ManifestEnvironment
    let file: FilePath
    /// Where each directive was first set (native files only), so that errors and notes can name the line.
    let locations: [String: SourceLocation]
    let diagnostics: any DiagnosticSink

    func resolve(evaluation: PackageManifest.Evaluation) throws(ManifestError) -> PackageManifest {
        reportDeprecated()
        let name = try check("PACKAGE_NAME", required: true).safeComponent()
        let version = try check("PACKAGE_VERSION", required: true).safeComponent()
        let defaultBuild = "-C \(environment.kernelSourceDirectory) M=\(environment.dkmsTree)/\(name)/\(version)/build"
        let make = try selectedMake()
        let clean = scalar("CLEAN")
        let exclusive = BuildExclusive(
            kernel: try pattern("BUILD_EXCLUSIVE_KERNEL"), arch: try pattern("BUILD_EXCLUSIVE_ARCH"),
            config: scalar("BUILD_EXCLUSIVE_CONFIG").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init),
            kernelMin: nonEmpty(scalar("BUILD_EXCLUSIVE_KERNEL_MIN")), kernelMax: nonEmpty(scalar("BUILD_EXCLUSIVE_KERNEL_MAX")),
            forced: YesNo.parse(scalar("build_exclude")) == true)
        return PackageManifest(
            name: name, version: version, modules: try modules(packageName: name), make: make ?? "make \(defaultBuild)",
            makeIsDefault: make == nil, clean: clean.isEmpty ? "make \(defaultBuild) clean" : clean, patches: try patches(),
            preBuild: try script("PRE_BUILD"), postBuild: try script("POST_BUILD"), postAdd: try script("POST_ADD"),
            preInstall: try script("PRE_INSTALL"), postInstall: try script("POST_INSTALL"), postRemove: try script("POST_REMOVE"),
            autoinstall: autoinstall(), buildExclusive: exclusive,
            buildDepends: try buildDepends(),
            obsoleteBy: nonEmpty(scalar("OBSOLETE_BY")), remakeInitrd: YesNo.parse(scalar("REMAKE_INITRD")) ?? false,
            noWeakModules: YesNo.parse(scalar("NO_WEAK_MODULES")) ?? false, evaluation: evaluation,
            kernelRelease: environment.kernelRelease)
    }

    // MARK: - Directives

    /// `BUILT_MODULE_NAME[i]` and its companions. With no name at all and exactly one `DEST_MODULE_LOCATION`, the
    /// package name is the module name, as in DKMS.
    private func modules(packageName: String) throws(ManifestError) -> [ModuleDeclaration] {
        var names = array("BUILT_MODULE_NAME")
        let destinations = array("DEST_MODULE_LOCATION")
        if destinations.count == 1, let only = destinations.keys.first, names.values.allSatisfy(\.isEmpty) {
            names[only] = packageName
        }
        guard !names.isEmpty else { throw error(.missingDirective("BUILT_MODULE_NAME"), about: "BUILT_MODULE_NAME") }
        try checkIndices(of: names)
        let strips = array("STRIP")
        let defaultStrip = YesNo.parseStrip(strips[0] ?? "") ?? true
        var modules: [ModuleDeclaration] = []
        for index in names.keys.sorted() {
            let built = try check("BUILT_MODULE_NAME", index: index, names[index]!).moduleName()
            let destName = array("DEST_MODULE_NAME")[index] ?? ""
            let destination = destinations[index] ?? ""
            modules.append(
                ModuleDeclaration(
                    builtName: built,
                    builtLocation: try check("BUILT_MODULE_LOCATION", index: index, array("BUILT_MODULE_LOCATION")[index] ?? "")
                        .relativePath(),
                    destName: destName.isEmpty ? built : try check("DEST_MODULE_NAME", index: index, destName).moduleName(),
                    destLocation: destination.isEmpty
                        ? "/updates/dkms" : try check("DEST_MODULE_LOCATION", index: index, destination).destinationLocation(),
                    strip: YesNo.parseStrip(strips[index] ?? "") ?? defaultStrip))
            if index > 0, let config = array("BUILD_EXCLUSIVE_CONFIG")[index], !config.isEmpty {
                modules[modules.count - 1].exclusiveConfig = config.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
                    .map(String.init)
            }
        }
        try checkDistinct(modules, indices: names.keys.sorted())
        return modules
    }

    /// DKMS counts modules with bash's `${#BUILT_MODULE_NAME[@]}` and walks indices from 0: a gap
    /// (`BUILT_MODULE_NAME[0]` and `[2]`) or a companion with no module (`DEST_MODULE_LOCATION[4]` alone) makes it
    /// pair names and locations wrongly or read empty ones, so a sparse declaration is refused, naming the index.
    private func checkIndices(of names: [Int: String]) throws(ManifestError) {
        if let gap = (0..<names.count).first(where: { names[$0] == nil }) {
            let found = names.keys.sorted().map { "[\($0)]" }.joined()
            throw error(
                .invalidDirective(
                    directive: "BUILT_MODULE_NAME[\(gap)]", value: "",
                    reason: "missing: modules are numbered from 0 without gaps (found \(found))"),
                about: "BUILT_MODULE_NAME")
        }
        for companion in ["BUILT_MODULE_LOCATION", "DEST_MODULE_NAME", "DEST_MODULE_LOCATION", "STRIP", "BUILD_EXCLUSIVE_CONFIG"] {
            let packageWide = companion == "STRIP" || companion == "BUILD_EXCLUSIVE_CONFIG"  // their [0] is the package's
            for index in array(companion).keys.sorted() where names[index] == nil && !(packageWide && index == 0) {
                throw error(
                    .invalidDirective(
                        directive: "\(companion)[\(index)]", value: array(companion)[index] ?? "",
                        reason: "there is no BUILT_MODULE_NAME[\(index)] for it"),
                    about: companion)
            }
        }
    }

    /// Two declarations installed under one module name would overwrite each other (DKMS fails the build with
    /// "File exists" and records nothing): refused when the file is read.
    private func checkDistinct(_ modules: [ModuleDeclaration], indices: [Int]) throws(ManifestError) {
        var seen = [String: Int]()
        for (module, index) in zip(modules, indices) {
            let name = module.destName.map { $0 == "-" ? "_" : $0 }.reduce(into: "") { $0.append($1) }
            if let first = seen[name] {
                throw error(
                    .invalidDirective(
                        directive: "BUILT_MODULE_NAME[\(index)]", value: module.builtName,
                        reason: "module name \(name) again (as BUILT_MODULE_NAME[\(first)]): one would overwrite the other"),
                    about: "BUILT_MODULE_NAME")
            }
            seen[name] = index
        }
    }

    /// The last `MAKE[i]` whose `MAKE_MATCH[i]` matches the kernel; `MAKE[0]` when `MAKE_MATCH[0]` is empty; nil for
    /// the default.
    private func selectedMake() throws(ManifestError) -> String? {
        let makes = array("MAKE")
        let matches = array("MAKE_MATCH")
        var chosen: String? = (matches[0] ?? "").isEmpty ? nonEmpty(makes[0] ?? "") : nil
        for index in Set(makes.keys).union(matches.keys).sorted() {
            let match = matches[index] ?? ""
            guard !match.isEmpty else { continue }
            let regex = try compile(match, directive: "MAKE_MATCH", index: index)
            if let command = nonEmpty(makes[index] ?? ""), regex.matches(environment.kernelRelease) { chosen = command }
        }
        return chosen
    }

    private func patches() throws(ManifestError) -> [String] {
        let matches = array("PATCH_MATCH")
        var result: [String] = []
        for (index, patch) in array("PATCH").sorted(by: { $0.key < $1.key }) where !patch.isEmpty {
            let match = matches[index] ?? ""
            if !match.isEmpty, !(try compile(match, directive: "PATCH_MATCH", index: index)).matches(environment.kernelRelease) {
                continue
            }
            result.append(try check("PATCH", index: index, patch).relativePath())
        }
        return result
    }

    private func buildDepends() throws(ManifestError) -> [String] {
        var result: [String] = []
        for (index, name) in array("BUILD_DEPENDS").sorted(by: { $0.key < $1.key }) where !name.isEmpty {
            result.append(try check("BUILD_DEPENDS", index: index, name).safeComponent())
        }
        return result
    }

    private func script(_ directive: String) throws(ManifestError) -> String? {
        let value = scalar(directive)
        return value.isEmpty ? nil : try check(directive, value).script()
    }

    /// `AUTOINSTALL` as a yes/no answer; an answer that is neither counts as yes (DKMS's reading) with a warning.
    private func autoinstall() -> Bool {
        let value = scalar("AUTOINSTALL")
        if let answer = YesNo.parse(value) { return answer }
        diagnostics.warning(
            "AUTOINSTALL=\(shellQuotedForMessage(value)) is neither yes nor no; taken as yes", file: file,
            line: locations["AUTOINSTALL"]?.line)
        return true
    }

    private func pattern(_ directive: String) throws(ManifestError) -> String? {
        guard let value = nonEmpty(scalar(directive)) else { return nil }
        _ = try compile(value, directive: directive, index: nil)
        return value
    }

    private func reportDeprecated() {
        for row in DirectiveTable.rows where !directives[row.name].isEmpty {
            let line = locations[row.name]?.line
            switch row.status {
            case .deprecated: diagnostics.note("\(row.name) is deprecated and has no effect", file: file, line: line)
            case .unused:
                diagnostics.note("\(row.name) is ignored (signing is configured in kmodmgr, not in dkms.conf)", file: file, line: line)
            case .honoured, .legacy: break
            }
        }
    }

    // MARK: - Values

    /// The elements of `name`, with the legacy lower-case array (`built_module_name` …) filling the gaps.
    private func array(_ name: String) -> [Int: String] {
        var merged = legacyName(of: name).map { directives[$0] } ?? [:]
        merged.merge(directives[name]) { _, modern in modern }
        return merged
    }

    private func scalar(_ name: String) -> String { array(name)[0] ?? "" }

    private func legacyName(of name: String) -> String? {
        DirectiveTable.rows.first { if case .legacy(let modern) = $0.status { modern == name && $0.name != name } else { false } }?.name
    }

    private func nonEmpty(_ value: String) -> String? { value.isEmpty ? nil : value }

    private func check(_ directive: String, required: Bool) throws(ManifestError) -> ManifestValidation {
        let value = scalar(directive)
        if required && value.isEmpty { throw error(.missingDirective(directive), about: directive) }
        return check(directive, value)
    }

    private func check(_ directive: String, index: Int? = nil, _ value: String) -> ManifestValidation {
        let label = index.map { "\(directive)[\($0)]" } ?? directive
        let file = file
        let location = locations[directive]
        return ManifestValidation(directive: label, value: value) { directive, value, reason in
            ManifestError(
                file: file, line: location?.line, column: location?.column,
                .invalidDirective(directive: directive, value: value, reason: reason))
        }
    }

    private func compile(_ pattern: String, directive: String, index: Int?) throws(ManifestError) -> ExtendedRegex {
        do {
            return try ExtendedRegex(pattern)
        } catch {
            let label = index.map { "\(directive)[\($0)]" } ?? directive
            throw self.error(
                .invalidDirective(directive: label, value: pattern, reason: "not a valid extended regex (\(error.reason))"),
                about: directive)
        }
    }

    private func error(_ kind: ManifestError.Kind, about directive: String) -> ManifestError {
        ManifestError(file: file, line: locations[directive]?.line, column: locations[directive]?.column, kind)
    }
}

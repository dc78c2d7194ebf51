import StateStore

/// `BUILD_DEPENDS` in autoinstall: a package is built only after every package it names is installed for the
/// kernel — earlier in the same run, or already. DKMS 3.0.10 merely orders by it, and builds a dependent whose
/// dependency is not registered, is the package itself, failed to build, or has `AUTOINSTALL` off; a cycle goes
/// unreported. Here each of those is refused with its reason, naming the dependency or the cycle.
struct BuildDependencies {
    /// A candidate of autoinstall: the newest version of a package with `AUTOINSTALL`, and what it names.
    typealias Candidate = (package: PackageRecord, dependencies: [String])

    /// The candidates in waves (each after every candidate it names), and those refused before any build.
    let waves: [[PackageRecord]]
    let refused: [(package: PackageRecord, reason: String)]

    /// - Parameters:
    ///   - registered: every registered package name.
    ///   - installed: whether some version of a package is installed for the kernel.
    init(_ candidates: [Candidate], registered: Set<String>, installed: (String) -> Bool) {
        let names = Set(candidates.map(\.package.name))
        var refused = [(package: PackageRecord, reason: String)]()
        var accepted = [Candidate]()
        for candidate in candidates {
            if let reason = Self.refusal(of: candidate, candidates: names, registered: registered, installed: installed) {
                refused.append((candidate.package, reason))
            } else {
                accepted.append(candidate)
            }
        }
        // A refused candidate takes with it whatever needs it and does not find it installed already.
        var changed = true
        while changed {
            changed = false
            let out = Set(refused.map(\.package.name))
            for candidate in accepted {
                guard let missing = candidate.dependencies.first(where: { out.contains($0) && !installed($0) }) else { continue }
                refused.append((candidate.package, "BUILD_DEPENDS \(missing) cannot be built (see its result)"))
                changed = true
            }
            accepted.removeAll { candidate in refused.contains { $0.package.name == candidate.package.name } }
        }
        let ordered = Self.order(accepted, names: Set(accepted.map(\.package.name)))
        waves = ordered.waves
        self.refused = refused + ordered.cyclic
    }

    /// Why `candidate` cannot be built whatever this run does, or nil.
    private static func refusal(
        of candidate: Candidate, candidates: Set<String>, registered: Set<String>, installed: (String) -> Bool
    ) -> String? {
        for dependency in candidate.dependencies {
            if dependency == candidate.package.name { return "BUILD_DEPENDS names the package itself" }
            if !registered.contains(dependency) { return "BUILD_DEPENDS \(dependency) is not registered (kmodmgr add it first)" }
            if !candidates.contains(dependency) && !installed(dependency) {
                return
                    "BUILD_DEPENDS \(dependency) is not installed for this kernel, and autoinstall does not install it (AUTOINSTALL is off)"
            }
        }
        return nil
    }

    /// Waves of packages whose candidate dependencies come in earlier waves; what is left when no package is ready
    /// is in a cycle or depends on one, and is refused naming it.
    private static func order(_ candidates: [Candidate], names: Set<String>) -> (
        waves: [[PackageRecord]], cyclic: [(package: PackageRecord, reason: String)]
    ) {
        let edges = Dictionary(uniqueKeysWithValues: candidates.map { ($0.package.name, Set($0.dependencies).intersection(names)) })
        var pending = candidates.map(\.package)
        var done = Set<String>()
        var waves = [[PackageRecord]]()
        while true {
            let ready = pending.filter { edges[$0.name, default: []].isSubset(of: done) }
            guard !ready.isEmpty else { break }
            waves.append(ready)
            done.formUnion(ready.map(\.name))
            pending.removeAll { done.contains($0.name) }
        }
        let cyclic = pending.map { package in
            let reason =
                cycle(from: package.name, edges: edges).map { "BUILD_DEPENDS cycle: " + $0.joined(separator: " → ") }
                ?? "BUILD_DEPENDS \(edges[package.name, default: []].subtracting(done).sorted().joined(separator: ", ")) is in a dependency cycle"
            return (package, reason)
        }
        return (waves, cyclic)
    }

    /// The shortest path from `start` back to itself, as names (`a → b → a`), or nil.
    private static func cycle(from start: String, edges: [String: Set<String>]) -> [String]? {
        var paths = [[start]]
        var seen = Set<String>()
        while !paths.isEmpty {
            var next = [[String]]()
            for path in paths {
                for dependency in edges[path.last!, default: []].sorted() {
                    if dependency == start { return path + [start] }
                    if seen.insert(dependency).inserted { next.append(path + [dependency]) }
                }
            }
            paths = next
        }
        return nil
    }
}

extension Installing.Outcome {
    /// Whether the package ended installed (now, or already).
    var isInstalled: Bool {
        switch self {
        case .installed, .alreadyInstalled: true
        default: false
        }
    }
}

import StateStore
import Testing

@testable import Lifecycle

/// autoinstall's BUILD_DEPENDS: waves (each package after the packages it names; independent ones together), and
/// the dependents that are never built, each with its reason.
struct AutoinstallOrderTests {
    private func package(_ name: String) -> PackageRecord {
        PackageRecord(name: name, version: "1", source: "/usr/src/\(name)-1", added: 0)
    }

    private func plan(_ candidates: [BuildDependencies.Candidate], registered: Set<String>? = nil, installed: Set<String> = [])
        -> BuildDependencies
    {
        BuildDependencies(candidates, registered: registered ?? Set(candidates.map(\.package.name))) { installed.contains($0) }
    }

    private func refusals(_ plan: BuildDependencies) -> [String: String] {
        Dictionary(uniqueKeysWithValues: plan.refused.map { ($0.package.name, $0.reason) })
    }

    @Test func dependentsComeAfterTheirDependenciesAndIndependentPackagesShareAWave() {
        let waves = plan([(package("c"), ["b"]), (package("a"), []), (package("b"), ["a"]), (package("d"), [])]).waves
        #expect(waves.map { $0.map(\.name) } == [["a", "d"], ["b"], ["c"]])
    }

    /// A dependency that is not registered, the package itself, one autoinstall does not install (AUTOINSTALL off)
    /// and is not installed, and a cycle: refused, each with what is wrong. One installed already is fine.
    @Test func dependentsThatCannotBeBuiltAreRefusedWithTheirReason() {
        let made = plan(
            [
                (package("orphan"), ["absent"]), (package("selfish"), ["selfish"]), (package("manual"), ["off"]),
                (package("served"), ["present"]), (package("x"), ["y"]), (package("y"), ["x"]), (package("z"), ["x"]),
            ],
            registered: ["orphan", "selfish", "manual", "off", "served", "present", "x", "y", "z"], installed: ["present"])
        #expect(made.waves.map { $0.map(\.name) } == [["served"]])
        let reasons = refusals(made)
        #expect(reasons["orphan"] == "BUILD_DEPENDS absent is not registered (kmodmgr add it first)")
        #expect(reasons["selfish"] == "BUILD_DEPENDS names the package itself")
        #expect(reasons["manual"]?.hasPrefix("BUILD_DEPENDS off is not installed for this kernel") == true)
        #expect(reasons["x"] == "BUILD_DEPENDS cycle: x → y → x")
        #expect(reasons["y"] == "BUILD_DEPENDS cycle: y → x → y")
        #expect(reasons["z"] == "BUILD_DEPENDS x is in a dependency cycle")
    }

    /// What depends on a refused package is refused too, unless that package is installed already.
    @Test func aRefusedDependencyTakesItsDependentsUnlessInstalled() {
        let made = plan(
            [(package("a"), ["absent"]), (package("b"), ["a"]), (package("c"), ["b"]), (package("d"), ["e"]), (package("e"), ["absent"])],
            registered: ["a", "b", "c", "d", "e"], installed: ["e"])
        #expect(made.waves.map { $0.map(\.name) } == [["d"]])
        let reasons = refusals(made)
        #expect(reasons["b"] == "BUILD_DEPENDS a cannot be built (see its result)")
        #expect(reasons["c"] == "BUILD_DEPENDS b cannot be built (see its result)")
        #expect(reasons["e"]?.hasPrefix("BUILD_DEPENDS absent is not registered") == true)
    }
}

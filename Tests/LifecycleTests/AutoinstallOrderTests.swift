import StateStore
import Testing

@testable import Lifecycle

/// autoinstall's BUILD_DEPENDS waves: each package after the packages it names; independent ones together.
struct AutoinstallOrderTests {
    private func package(_ name: String) -> PackageRecord {
        PackageRecord(name: name, version: "1", source: "/usr/src/\(name)-1", added: 0)
    }

    @Test func dependentsComeAfterTheirDependenciesAndIndependentPackagesShareAWave() {
        let waves = Autoinstalling.waves([
            (package("c"), ["b"]), (package("a"), []), (package("b"), ["a", "not-registered"]), (package("d"), []),
        ])
        #expect(waves.map { $0.map(\.name) } == [["a", "d"], ["b"], ["c"]])
    }

    @Test func aDependencyCycleEndsInOneLastWaveInsteadOfHanging() {
        let waves = Autoinstalling.waves([(package("x"), ["y"]), (package("y"), ["x"]), (package("z"), ["z"])])
        #expect(waves.map { $0.map(\.name) } == [["z"], ["x", "y"]])
    }
}

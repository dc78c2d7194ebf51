import DKMSConf
import Foundation
import SystemSupport
import Testing

/// `BUILD_EXCLUSIVE_CONFIG[i]`: `[0]` is the package's (as DKMS 3.0.10 reads `$BUILD_EXCLUSIVE_CONFIG`), `[i]` for
/// i ≥ 1 module i's; a manifest without per-module options encodes exactly as before (stored manifests' digests
/// decide whether a build is stale).
@Suite struct ModuleExclusiveConfigTests {
    private func manifest(_ body: String) async throws -> PackageManifest {
        try await ManifestLoader.load(
            contents: Array(("PACKAGE_NAME=demo\nPACKAGE_VERSION=1.0\n" + body).utf8), of: "/src/demo-1.0/dkms.conf",
            environment: plainEnvironment, shell: .forbidden, diagnostics: CollectingDiagnosticSink())
    }

    @Test func perModuleOptionsLeaveTheirModuleOut() async throws {
        let loaded = try await manifest(
            "BUILT_MODULE_NAME[0]=a\nBUILT_MODULE_NAME[1]=b\nBUILD_EXCLUSIVE_CONFIG[0]=CONFIG_P\nBUILD_EXCLUSIVE_CONFIG[1]=\"CONFIG_X !CONFIG_Y\"\n"
        )
        #expect(loaded.buildExclusive.config == ["CONFIG_P"])
        #expect(loaded.modules.map(\.exclusiveConfig) == [nil, ["CONFIG_X", "!CONFIG_Y"]])
        #expect(loaded.exclusiveConfigOptions.sorted() == ["CONFIG_P", "CONFIG_X", "CONFIG_Y"])
        let without = loaded.keepingModules(for: ["CONFIG_P": "y", "CONFIG_X": "m"])
        #expect(without.manifest.modules.map(\.builtName) == ["a", "b"] && without.leftOut.isEmpty)
        let left = loaded.keepingModules(for: ["CONFIG_P": "y", "CONFIG_X": "y", "CONFIG_Y": "y"])
        #expect(left.manifest.modules.map(\.builtName) == ["a"])
        #expect(left.leftOut.map(\.reason) == ["BUILD_EXCLUSIVE_CONFIG: CONFIG_Y is enabled in the kernel configuration"])
        #expect(loaded.keepingModules(for: nil).manifest.modules.count == 2, "no .config excludes nothing")
    }

    @Test func aManifestWithoutThemEncodesAsBefore() async throws {
        let json = String(decoding: try JSONEncoder().encode(try await manifest("BUILT_MODULE_NAME[0]=a\n")), as: UTF8.self)
        #expect(!json.contains("exclusiveConfig"), "\(json)")
    }
}

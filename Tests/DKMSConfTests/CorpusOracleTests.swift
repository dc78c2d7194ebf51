import DKMSConf
import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// Every dkms.conf Debian ships, read by kmodmgr and by real bash, must give the same directive values; and the
/// manifest must be what DKMS would make of those values.
@Suite struct CorpusOracleTests {
    /// The packages whose dkms.conf contains real shell (the other 23 are assignments only).
    static let shellPackages: Set<String> = [
        "ddcci-dkms", "digimend-dkms", "iptables-netflow-dkms", "lttng-modules-dkms", "openafs-modules-dkms",
        "v4l2loopback-dkms", "west-chamber-dkms",
    ]

    @Test func corpusHasThirtyPackages() throws {
        let packages = try DebianCorpus.packages()
        #expect(packages.count == 30)
        #expect(Set(packages.map(\.name)).isSuperset(of: Self.shellPackages))
    }

    @Test(arguments: try! DebianCorpus.packages().map(\.name))
    func directivesEqualBash(_ name: String) async throws {
        let package = try DebianCorpus.package(name)
        let environment = try TestKernel.environment
        let expected = try BashOracle.directives(of: package.dkmsConf.path, environment: environment)
        let sink = CollectingDiagnosticSink()
        let file = FilePath(package.dkmsConf.path)
        let (values, evaluation) = try await ManifestLoader.directives(
            file, environment: environment, shell: .default, diagnostics: sink)
        #expect(values.values == expected, "\(name)")
        #expect(evaluation == (Self.shellPackages.contains(name) ? .shell : .native), "\(name)")
        #expect(try ManifestLoader.needsShell(file) == Self.shellPackages.contains(name))

        let manifest = try await ManifestLoader.load(file, environment: environment, shell: .default, diagnostics: sink)
        #expect(manifest.evaluation == evaluation)
        #expect(manifest.name == expected["PACKAGE_NAME"]?[0])
        #expect(manifest.version == expected["PACKAGE_VERSION"]?[0])
        #expect(package.sourceDirectory.lastPathComponent == "\(manifest.name)-\(manifest.version)")
        let builtNames = (expected["BUILT_MODULE_NAME"] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
        #expect(manifest.modules.map(\.builtName) == (builtNames.isEmpty ? [manifest.name] : builtNames))
        let destinations = (expected["DEST_MODULE_LOCATION"] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
        #expect(manifest.modules.map(\.destLocation) == destinations.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 })
        // No corpus file uses MAKE_MATCH, so MAKE[0] is the command whenever it is set.
        #expect(expected["MAKE_MATCH"] == nil)
        let defaultBuild = "make -C \(environment.kernelSourceDirectory) M=/var/lib/dkms/\(manifest.name)/\(manifest.version)/build"
        if let make = expected["MAKE"]?[0] {
            #expect(manifest.make == make && !manifest.makeIsDefault)
        } else {
            #expect(manifest.make == defaultBuild)
            #expect(manifest.makeIsDefault)
        }
        #expect(manifest.clean == expected["CLEAN"]?[0] ?? defaultBuild + " clean")
        let autoinstall = expected["AUTOINSTALL"]?[0]?.lowercased()
        #expect(manifest.autoinstall == (autoinstall == "yes"))
        #expect(manifest.buildExclusive.config.joined(separator: " ") == expected["BUILD_EXCLUSIVE_CONFIG"]?[0] ?? "")
        #expect(manifest.buildExclusive.kernel == expected["BUILD_EXCLUSIVE_KERNEL"]?[0])
        #expect(manifest.buildExclusive.arch == expected["BUILD_EXCLUSIVE_ARCH"]?[0])
        #expect(manifest.buildExclusive.kernelMin == expected["BUILD_EXCLUSIVE_KERNEL_MIN"]?[0])
        #expect(manifest.preBuild == expected["PRE_BUILD"]?[0])
        #expect(manifest.modules.allSatisfy { $0.strip == (expected["STRIP"]?[0] != "no") })
        #expect(!sink.diagnostics.contains { $0.severity == .error })

        let encoded = try JSONEncoder().encode(manifest)
        #expect(try JSONDecoder().decode(PackageManifest.self, from: encoded) == manifest)
    }
}

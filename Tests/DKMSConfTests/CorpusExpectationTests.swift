import DKMSConf
import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// Hand-written expectations for particular corpus files: facts a reader of the file can check by eye.
@Suite struct CorpusExpectationTests {
    private func load(_ name: String, environment: ManifestEnvironment? = nil) async throws -> (PackageManifest, [Diagnostic]) {
        let package = try DebianCorpus.package(name)
        let sink = CollectingDiagnosticSink()
        let manifest = try await ManifestLoader.load(
            FilePath(package.dkmsConf.path), environment: try environment ?? TestKernel.environment, shell: .default,
            diagnostics: sink)
        return (manifest, sink.diagnostics)
    }

    @Test func dahdiDeclaresThirtyTwoModules() async throws {
        let (manifest, _) = try await load("dahdi-dkms")
        #expect(manifest.evaluation == .native)
        #expect(manifest.modules.count == 32)
        #expect(
            manifest.modules.first
                == ModuleDeclaration(
                    builtName: "dahdi_dummy", builtLocation: "drivers/dahdi", destName: "dahdi_dummy",
                    destLocation: "/kernel/drivers/telephony/dahdi", strip: true))
        #expect(manifest.make.hasPrefix("(make modules KVERS=\(try TestKernel.environment.kernelRelease) MODULES_EXTRA="))
        #expect(manifest.buildExclusive.exclusionReason(kernelRelease: "5.4.0-1-amd64", arch: "x86_64", kernelConfig: nil) != nil)
        #expect(manifest.buildExclusive.exclusionReason(kernelRelease: "6.1.0-56-amd64", arch: "x86_64", kernelConfig: nil) == nil)
    }

    @Test func joolMakeJoinsContinuationLines() async throws {
        let (manifest, _) = try await load("jool-dkms")
        let build = "/var/lib/dkms/jool-dkms/4.1.9/build/src/mod"
        let source = try TestKernel.environment.kernelSourceDirectory
        // Inside double quotes, backslash-newline disappears; the indentation of the next line stays.
        #expect(
            manifest.make
                == "make -C \(source) M=\(build)/common modules       && make -C \(source) M=\(build)/nat64 modules       && make -C \(source) M=\(build)/siit modules"
        )
        #expect(manifest.modules.map(\.builtLocation) == ["src/mod/common", "src/mod/nat64", "src/mod/siit"])
        #expect(manifest.modules.map(\.destLocation) == ["/extra", "/extra", "/extra"])
    }

    @Test func digimendSeesTheKernelConfig() async throws {
        // With the real kernel's .config (CONFIG_USB_HID=m or y) nothing is excluded…
        let (real, _) = try await load("digimend-dkms")
        #expect(real.evaluation == .shell)
        #expect(real.buildExclusive.kernel == nil)
        // …and with a .config that lacks it, the shell path sets BUILD_EXCLUSIVE_KERNEL.
        let headers = try readableTemporaryDirectory()
        _ = try writeConf("CONFIG_USB=y\n", in: headers, name: ".config")
        let (bare, _) = try await load(
            "digimend-dkms", environment: TestKernel.environment(release: "6.1.0-56-amd64", sourceDirectory: headers.url.path))
        #expect(bare.buildExclusive.kernel == "REQUIRES CONFIG_USB_HID")
        #expect(
            bare.exclusionReason(kernelRelease: "6.1.0-56-amd64", arch: "x86_64", kernelConfig: nil)
                == #"BUILD_EXCLUSIVE_KERNEL "REQUIRES CONFIG_USB_HID" does not match 6.1.0-56-amd64"#)
    }

    @Test func lttngIndexArithmetic() async throws {
        let (manifest, _) = try await load("lttng-modules-dkms")
        #expect(manifest.evaluation == .shell)
        let names = manifest.modules.map(\.builtName)
        #expect(Array(names.prefix(3)) == ["lttng-lib-ring-buffer", "lttng-counter", "lttng-ring-buffer-client-discard"])
        #expect(manifest.modules[0].builtLocation == "src/lib" && manifest.modules[0].destLocation == "/extra/lib")
        #expect(names.count > 40)
        #expect(Set(names).count == names.count)
    }

    @Test func iptNetflowRunsInItsSourceDirectoryWithBashSource() async throws {
        let package = try DebianCorpus.package("iptables-netflow-dkms")
        let (manifest, diagnostics) = try await load("iptables-netflow-dkms")
        #expect(manifest.version == "2.6")
        #expect(manifest.modules.map(\.strip) == [false])
        #expect(manifest.preBuild?.hasPrefix("./configure --from-dkms-conf=") == true)
        // pushd found the file's directory (no complaint on stderr), and the directory stack it prints on stdout is
        // not passed on: it would be a note on every command's terminal.
        #expect(!diagnostics.contains { $0.message.contains("No such file") })
        #expect(!diagnostics.contains { $0.message.contains(package.sourceDirectory.path) }, "\(diagnostics)")
    }

    @Test func limeWarnsAboutLoad() async throws {
        let (manifest, diagnostics) = try await load("lime-forensics-dkms")
        #expect(manifest.evaluation == .native)
        let warnings = diagnostics.filter { $0.severity == .warning }
        #expect(warnings.map(\.message) == ["LOAD is not a dkms.conf directive; ignored"])
        #expect(warnings.first?.line == 7)
    }

    @Test func xtablesHelperVariablesAreNotWarnedAbout() async throws {
        let (manifest, diagnostics) = try await load("xtables-addons-dkms")
        #expect(diagnostics.isEmpty)
        #expect(manifest.clean.contains("XA_ABSTOPSRCDIR=/var/lib/dkms/xtables-addons/3.23/build"))
        #expect(manifest.make.hasSuffix(#"-exec mv -v {} /var/lib/dkms/xtables-addons/3.23/build \;"#))
    }

    @Test func dmWriteboostKernelMinimum() async throws {
        let (manifest, _) = try await load("dm-writeboost-dkms")
        #expect(manifest.buildExclusive.kernelMin == "3.9")
        #expect(manifest.modules.map(\.destLocation) == ["/kernel/drivers/md"])
        #expect(
            manifest.exclusionReason(kernelRelease: "3.8.13-1-amd64", arch: "x86_64", kernelConfig: nil)
                == #"BUILD_EXCLUSIVE_KERNEL_MIN "3.9": 3.8.13-1-amd64 is older"#)
        #expect(manifest.exclusionReason(kernelRelease: "3.9.0-1-amd64", arch: "x86_64", kernelConfig: nil) == nil)
        #expect(manifest.exclusionReason(kernelRelease: try TestKernel.environment.kernelRelease, arch: "x86_64", kernelConfig: nil) == nil)
    }

    @Test func openafsDefaultsAndConfigExclusion() async throws {
        let (manifest, _) = try await load("openafs-modules-dkms")
        #expect(manifest.modules.map(\.builtName) == ["openafs"])
        #expect(manifest.make.contains("--with-afs-sysname=amd64_linux26"))
        #expect(manifest.buildExclusive.config == ["!CONFIG_PREEMPT_RT"])
        #expect(
            manifest.exclusionReason(kernelRelease: "6.1.0-56-rt-amd64", arch: "x86_64", kernelConfig: ["CONFIG_PREEMPT_RT": "y"])
                == "BUILD_EXCLUSIVE_CONFIG: CONFIG_PREEMPT_RT is enabled in the kernel configuration")
        #expect(manifest.exclusionReason(kernelRelease: "6.1.0-56-amd64", arch: "x86_64", kernelConfig: [:]) == nil)
    }

    @Test func ddcciStderrBecomesNotes() async throws {
        let headers = try readableTemporaryDirectory()
        _ = try writeConf("CONFIG_I2C=y\n", in: headers, name: ".config")
        let (manifest, diagnostics) = try await load(
            "ddcci-dkms", environment: TestKernel.environment(release: "6.1.0-56-amd64", sourceDirectory: headers.url.path))
        #expect(manifest.buildExclusive.arch == "^do_not_build$")
        #expect(diagnostics.contains { $0.message == "bash: BACKLIGHT_CLASS_DEVICE disabled in this kernel, not building module." })
    }
}

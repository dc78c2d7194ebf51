import DKMSConf
import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

private let header = "PACKAGE_NAME=demo\nPACKAGE_VERSION=1.0\n"

/// DKMS's meaning of the directives, and kmodmgr's documented departures from it.
@Suite struct SemanticsTests {
    @Test(arguments: [
        ("no", false), ("NO", false), ("n", false), ("0", false), ("false", false), ("", false), ("yes", true), ("Y", true), ("1", true),
        ("TRUE", true),
    ])
    func autoinstallIsReadAsAWord(_ value: String, _ expected: Bool) async throws {
        let (manifest, diagnostics) = try await loadNative(header + "BUILT_MODULE_NAME=m\nAUTOINSTALL='\(value)'")
        #expect(manifest.autoinstall == expected)
        #expect(diagnostics.isEmpty)
    }

    @Test func autoinstallOddValueIsYesWithWarning() async throws {
        let (manifest, diagnostics) = try await loadNative(header + "BUILT_MODULE_NAME=m\nAUTOINSTALL=maybe")
        #expect(manifest.autoinstall)
        #expect(
            diagnostics.map(\.description) == [
                #"/src/demo-1.0/dkms.conf:4: warning: AUTOINSTALL="maybe" is neither yes nor no; taken as yes"#
            ])
    }

    @Test func unknownAndDeprecatedDirectives() async throws {
        let (_, diagnostics) = try await loadNative(
            header + "BUILT_MODULE_NAME=m\nLOAD=no\nHELPER=x\nMAKE=\"make $HELPER\"\nMODULES_CONF[0]=x\nlower=1")
        #expect(
            diagnostics.map(\.description) == [
                "/src/demo-1.0/dkms.conf:4: warning: LOAD is not a dkms.conf directive; ignored",
                "/src/demo-1.0/dkms.conf:7: note: MODULES_CONF is deprecated and has no effect",
            ])
    }

    @Test func makeMatchSelectsTheLastMatch() async throws {
        let text =
            header + """
                BUILT_MODULE_NAME=m
                MAKE[0]="make zero"
                MAKE[1]="make six"; MAKE_MATCH[1]="^6\\."
                MAKE[2]="make 6.1"; MAKE_MATCH[2]="^6\\.1\\."
                MAKE[3]="make five"; MAKE_MATCH[3]="^5"
                PATCH[0]=all.patch
                PATCH[1]=six.patch; PATCH_MATCH[1]="^6"
                PATCH[2]=five.patch; PATCH_MATCH[2]="^5"
                """
        var environment = plainEnvironment
        let (six, _) = try await loadNative(text, environment: environment)
        #expect(six.make == "make 6.1" && !six.makeIsDefault)
        #expect(six.patches == ["all.patch", "six.patch"])
        environment.kernelRelease = "5.10.0-1-amd64"
        let (five, _) = try await loadNative(text, environment: environment)
        #expect(five.make == "make five")
        #expect(five.patches == ["all.patch", "five.patch"])
        environment.kernelRelease = "4.19.0-1-amd64"
        #expect(try await loadNative(text, environment: environment).0.make == "make zero")
        let (unmatched, _) = try await loadNative(
            header + "BUILT_MODULE_NAME=m\nMAKE[0]=x; MAKE_MATCH[0]=^4", environment: plainEnvironment)
        #expect(unmatched.makeIsDefault)
        #expect(unmatched.make == "make -C /lib/modules/6.1.0-56-amd64/build M=/var/lib/dkms/demo/1.0/build")
        #expect(unmatched.clean == "make -C /lib/modules/6.1.0-56-amd64/build M=/var/lib/dkms/demo/1.0/build clean")
    }

    @Test func moduleDefaults() async throws {
        let text =
            header + """
                BUILT_MODULE_NAME[0]=a; STRIP[0]=No
                BUILT_MODULE_NAME[1]=b; BUILT_MODULE_LOCATION[1]=./sub//dir/; DEST_MODULE_NAME[1]=bee; STRIP[1]=yes
                BUILT_MODULE_NAME[2]=c; DEST_MODULE_LOCATION[2]=/extra/
                """
        let (manifest, _) = try await loadNative(text)
        #expect(
            manifest.modules == [
                ModuleDeclaration(builtName: "a", builtLocation: "", destName: "a", destLocation: "/updates/dkms", strip: false),
                ModuleDeclaration(builtName: "b", builtLocation: "sub/dir", destName: "bee", destLocation: "/updates/dkms", strip: true),
                ModuleDeclaration(builtName: "c", builtLocation: "", destName: "c", destLocation: "/extra", strip: false),
            ])
    }

    @Test func singleDestinationNamesTheModuleAfterThePackage() async throws {
        let (manifest, _) = try await loadNative(header + "DEST_MODULE_LOCATION=/kernel/x")
        #expect(manifest.modules.map(\.builtName) == ["demo"])
    }

    @Test func legacyLowerCaseNames() async throws {
        let text =
            header + "built_module_name[0]=old\ndest_module_location[0]=/extra\nstrip[0]=no\nclean='make old-clean'\nbuild_exclude=yes"
        let (manifest, _) = try await loadNative(text)
        #expect(
            manifest.modules == [
                ModuleDeclaration(builtName: "old", builtLocation: "", destName: "old", destLocation: "/extra", strip: false)
            ])
        #expect(manifest.clean == "make old-clean")
        #expect(
            manifest.exclusionReason(kernelRelease: "6.1.0-56-amd64", arch: "x86_64", kernelConfig: nil)
                == "build_exclude is set in dkms.conf")
    }

    @Test func exclusionRules() async throws {
        let text =
            header + """
                BUILT_MODULE_NAME=m
                BUILD_EXCLUSIVE_KERNEL="^6\\."
                BUILD_EXCLUSIVE_ARCH="x86_64|aarch64"
                BUILD_EXCLUSIVE_CONFIG="CONFIG_PCI  !CONFIG_PREEMPT_RT"
                BUILD_EXCLUSIVE_KERNEL_MAX=6.6
                OBSOLETE_BY=6.2
                BUILD_DEPENDS[0]=other; BUILD_DEPENDS[1]=third
                REMAKE_INITRD=yes; NO_WEAK_MODULES=y
                """
        let (manifest, _) = try await loadNative(text)
        let config = ["CONFIG_PCI": "y"]
        #expect(manifest.exclusionReason(kernelRelease: "6.1.0-56-amd64", arch: "x86_64", kernelConfig: config) == nil)
        #expect(
            manifest.exclusionReason(kernelRelease: "5.10.0-1-amd64", arch: "x86_64", kernelConfig: config)
                == #"BUILD_EXCLUSIVE_KERNEL "^6\." does not match 5.10.0-1-amd64"#)
        #expect(
            manifest.exclusionReason(kernelRelease: "6.1.0-56-amd64", arch: "armhf", kernelConfig: config)
                == #"BUILD_EXCLUSIVE_ARCH "x86_64|aarch64" does not match armhf"#)
        #expect(
            manifest.exclusionReason(kernelRelease: "6.1.0-56-amd64", arch: "x86_64", kernelConfig: ["CONFIG_PCI": "n"])
                == "BUILD_EXCLUSIVE_CONFIG: CONFIG_PCI is not enabled in the kernel configuration")
        #expect(manifest.exclusionReason(kernelRelease: "6.1.0-56-amd64", arch: "x86_64", kernelConfig: nil) == nil)
        #expect(
            manifest.exclusionReason(kernelRelease: "6.10.1", arch: "x86_64", kernelConfig: config)
                == #"BUILD_EXCLUSIVE_KERNEL_MAX "6.6": 6.10.1 is newer"#)
        #expect(
            manifest.exclusionReason(kernelRelease: "6.6", arch: "x86_64", kernelConfig: config)
                == #"OBSOLETE_BY "6.2": 6.6 is that version or newer"#)
        #expect(manifest.buildDepends == ["other", "third"])
        #expect(manifest.remakeInitrd && manifest.noWeakModules)
    }

    @Test func regexWrapperMatchesLikeBash() throws {
        let regex = try ExtendedRegex("^6\\.(1|2)\\.")
        #expect(regex.matches("6.1.0-56-amd64"))
        #expect(!regex.matches("5.6.1.0"))
        #expect(try ExtendedRegex("amd").matches("6.1.0-56-amd64"))
        #expect(throws: ExtendedRegex.CompileError.self) { try ExtendedRegex("a(") }
    }
}

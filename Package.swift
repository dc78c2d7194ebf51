// swift-tools-version:6.2
// kmodmgr: a kernel-module lifecycle manager. Target layout and import rules: docs/ARCHITECTURE.md.
import PackageDescription

/// A library target whose folder also holds the README saying what belongs there.
func library(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .target(name: name, dependencies: dependencies, exclude: ["README.md"])
}

/// A system library found through pkg-config, with the Debian package that provides it.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "kmodmgr",
    products: [
        .executable(name: "kmodmgr", targets: ["kmodmgr"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        // Without its default SubprocessFoundation trait: linking Foundation (and ICU) costs every run ~15 ms of startup.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2", traits: []),
    ],
    targets: [
        .executableTarget(name: "kmodmgr", dependencies: ["KmodmgrCLI"]),
        library(
            "KmodmgrCLI",
            [
                "Lifecycle", "SystemSupport", "Codecs", "ModuleELF", "DepmodIndex", "Kernels", "StateStore", "LoadCheck", "KmodBridge",
                "Preflight", "Signing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        library(
            "Lifecycle",
            [
                "SystemSupport", "Codecs", "ModuleELF", "KmodBridge", "DepmodIndex", "DKMSConf", "StateStore", "Kernels", "BuildRunner",
                "LoadCheck", "Initramfs", "Preflight", "Signing",
            ]),
        library(
            "SystemSupport",
            [
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                "CCrypto",
            ]),
        library("DKMSConf", ["SystemSupport"]),
        library("StateStore", ["SystemSupport"]),
        library("Kernels", ["SystemSupport"]),
        library("BuildRunner", ["SystemSupport"]),
        library("Codecs", ["SystemSupport", "CZlib", "CLZMA", "CZstd"]),
        library("ModuleELF", ["SystemSupport", "CLibELF", .product(name: "SwiftASN1", package: "swift-asn1")]),
        library("KmodBridge", ["SystemSupport", "CKmod"]),
        library("DepmodIndex", ["SystemSupport", "Codecs", "ModuleELF"]),
        library("LoadCheck", ["SystemSupport", "Codecs", "ModuleELF", "Kernels", "DepmodIndex"]),
        library("Preflight", ["SystemSupport", "Kernels", "LoadCheck"]),
        library("Initramfs", ["SystemSupport", "Codecs", .product(name: "SystemPackage", package: "swift-system")]),
        library("Signing", ["SystemSupport", "Codecs", "ModuleELF", "CCrypto"]),

        systemLibrary("CKmod", pkgConfig: "libkmod", apt: "libkmod-dev"),
        systemLibrary("CLibELF", pkgConfig: "libelf", apt: "libelf-dev"),
        systemLibrary("CLZMA", pkgConfig: "liblzma", apt: "liblzma-dev"),
        systemLibrary("CZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
        systemLibrary("CZstd", pkgConfig: "libzstd", apt: "libzstd-dev"),
        systemLibrary("CCrypto", pkgConfig: "libcrypto", apt: "libssl-dev"),

        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "CodecsTests", dependencies: ["Codecs", "TestSupport"]),
        .testTarget(name: "ModuleELFTests", dependencies: ["ModuleELF", "Codecs", "KmodBridge", "TestSupport"]),
        .testTarget(name: "KmodmgrCLITests", dependencies: ["kmodmgr", "Preflight", "TestSupport"]),
        .testTarget(name: "DKMSConfTests", dependencies: ["DKMSConf", "SystemSupport", "TestSupport"]),
        .testTarget(
            name: "LifecycleTests",
            dependencies: ["kmodmgr", "Lifecycle", "DKMSConf", "StateStore", "Kernels", "BuildRunner", "SystemSupport", "TestSupport"],
            exclude: ["Packages"]),
        .testTarget(name: "LoadCheckTests", dependencies: ["LoadCheck", "ModuleELF", "Codecs", "SystemSupport", "TestSupport"]),
        .testTarget(name: "DepmodIndexTests", dependencies: ["DepmodIndex", "KmodBridge", "SystemSupport", "TestSupport"]),
        .testTarget(name: "InitramfsTests", dependencies: ["Initramfs", "Codecs", "SystemSupport", "TestSupport"]),
        .testTarget(name: "SystemSupportTests", dependencies: ["SystemSupport", "TestSupport"]),
        .testTarget(name: "StateStoreTests", dependencies: ["StateStore", "SystemSupport", "TestSupport"]),
        .testTarget(name: "BuildRunnerTests", dependencies: ["BuildRunner", "SystemSupport", "TestSupport"]),
        .testTarget(name: "KmodBridgeTests", dependencies: ["KmodBridge", "SystemSupport", "TestSupport"]),
        .testTarget(name: "SigningTests", dependencies: ["Signing", "ModuleELF", "Codecs", "SystemSupport", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.2
// kmodmgr's libFuzzer targets, one executable per input format the product reads (see README.md beside this file).
//
// A package of its own, so that the main package's `swift build` and `swift test` neither build nor see anything
// here. The root package exports no library products (a path dependency can only use products), so this manifest
// declares the libraries the targets read once more, over the very same source folders: `Product` is a symbolic
// link to `../Sources`. Their dependencies must match the root Package.swift; a new import there that is missing
// here fails this build with "no such module", and the fix is one word in the table below.
//
// Build (what scripts/fuzz runs):
//   swift build --package-path Fuzz -c debug -Xswiftc -sanitize=fuzzer,address
import PackageDescription

/// The fuzz targets: `Sources/fuzz-<name>` reads the libraries listed.
let fuzzTargets: [(name: String, libraries: [Target.Dependency])] = [
    ("dkmsconf", ["DKMSConf", "SystemSupport"]),
    ("module-elf", ["ModuleELF"]),
    ("codecs", ["Codecs", "SystemSupport"]),
    ("depmod-index", ["DepmodIndex"]),
    ("initramfs", ["Initramfs", "SystemSupport"]),
    ("state-records", ["StateStore", "SystemSupport"]),
]

/// One of the root package's library targets, from its own folder, as the root Package.swift declares it.
func library(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .target(name: name, dependencies: dependencies, path: "Product/\(name)", exclude: ["README.md"])
}

func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, path: "Product/\(name)", pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "kmodmgr-fuzz",
    products: fuzzTargets.map { .executable(name: "fuzz-\($0.name)", targets: ["fuzz-\($0.name)"]) },
    dependencies: [
        // The root package's, at the same versions (resolved through the same mirror).
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2", traits: []),
    ],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver, which each target's main calls (FuzzSupport/Fuzzing.swift).
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver", "SystemSupport"]),

        // The root package's libraries (dependencies as in ../Package.swift).
        library(
            "SystemSupport",
            [
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                "CCrypto",
            ]),
        library("DKMSConf", ["SystemSupport"]),
        library("StateStore", ["SystemSupport"]),
        library("Codecs", ["SystemSupport", "CZlib", "CLZMA", "CZstd"]),
        library("ModuleELF", ["SystemSupport", "CLibELF", .product(name: "SwiftASN1", package: "swift-asn1")]),
        library("DepmodIndex", ["SystemSupport", "Codecs", "ModuleELF"]),
        library("Initramfs", ["SystemSupport", "Codecs", .product(name: "SystemPackage", package: "swift-system")]),
        systemLibrary("CLibELF", pkgConfig: "libelf", apt: "libelf-dev"),
        systemLibrary("CLZMA", pkgConfig: "liblzma", apt: "liblzma-dev"),
        systemLibrary("CZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
        systemLibrary("CZstd", pkgConfig: "libzstd", apt: "libzstd-dev"),
        systemLibrary("CCrypto", pkgConfig: "libcrypto", apt: "libssl-dev"),
    ]
        + fuzzTargets.map { target in
            .executableTarget(name: "fuzz-\(target.name)", dependencies: ["FuzzSupport"] + target.libraries)
        },
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.1
import PackageDescription

let strictness: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

/// A runnable example under `Examples/NAME`, with its own README.
func example(_ name: String) -> Target {
    executable(name, path: "Examples/\(name)")
}

/// A measurement tool under `Benchmarks/NAME`, with its own README.
func tool(_ name: String) -> Target {
    executable(name, path: "Benchmarks/\(name)")
}

/// An executable target at `path` that uses the library, swift-argument-parser and swift-log.
func executable(_ name: String, path: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "LibWebSockets",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: path,
        exclude: ["README.md"],
        swiftSettings: strictness
    )
}

let package = Package(
    name: "swift-libwebsockets",
    products: [
        .library(name: "LibWebSockets", targets: ["LibWebSockets"]),
        .executable(name: "lws-echo-server", targets: ["lws-echo-server"]),
        .executable(name: "lws-client", targets: ["lws-client"]),
        .executable(name: "lws-footprint", targets: ["lws-footprint"]),
        .executable(name: "lws-bench-echo", targets: ["lws-bench-echo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibwebsockets",
            pkgConfig: "libwebsockets",
            providers: [.apt(["libwebsockets-dev", "libssl-dev"])]
        ),
        .target(
            name: "LibWebSockets",
            dependencies: [
                "CLibwebsockets",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictness
        ),
        example("lws-echo-server"),
        example("lws-client"),
        tool("lws-footprint"),
        // The example's echo with a synchronous main, for callgrind (Benchmarks/callgrind.sh):
        // the library only, no argument parser, no Dispatch signal sources.
        .executableTarget(
            name: "lws-bench-echo",
            dependencies: ["LibWebSockets"],
            path: "Benchmarks/lws-bench-echo",
            exclude: ["README.md"],
            swiftSettings: strictness
        ),
        // The client side of the Autobahn conformance cases (Tests/Conformance/run.sh --client).
        executable("lws-autobahn-client", path: "Tests/Conformance/lws-autobahn-client"),
        // The sending side of make faults' slow consumer (Tests/Faults/run.sh).
        .executableTarget(name: "lws-fault-server", dependencies: ["LibWebSockets"], path: "Tests/Faults/lws-fault-server", swiftSettings: strictness),
        // A client of the library alone, which must link no Foundation (make check-lean).
        .executableTarget(name: "lws-lean-client", dependencies: ["LibWebSockets"], path: "Tests/LeanClient", swiftSettings: strictness),
        // This package's side of the interop test with Python's websockets (Tests/Interop/run.sh).
        executable("lws-interop-peer", path: "Tests/Interop/lws-interop-peer"),
        // zlib for the tests' own permessage-deflate peer; only the tests link it.
        .systemLibrary(name: "CZlib", path: "Tests/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .testTarget(
            name: "LibWebSocketsTests",
            dependencies: ["LibWebSockets", "CZlib"],
            swiftSettings: strictness
        ),
    ]
)

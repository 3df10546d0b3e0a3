// swift-tools-version:6.1
import PackageDescription

let strictness: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "swift-libwebsockets",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LibWebSockets", targets: ["LibWebSockets"]),
        .executable(name: "lws-echo-server", targets: ["lws-echo-server"]),
        .executable(name: "lws-client", targets: ["lws-client"]),
        .executable(name: "lws-footprint", targets: ["lws-footprint"]),
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
            providers: [.apt(["libwebsockets-dev", "libssl-dev"]), .brew(["libwebsockets"])]
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
        .executableTarget(
            name: "lws-echo-server",
            dependencies: [
                "LibWebSockets",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/lws-echo-server",
            exclude: ["README.md"],
            swiftSettings: strictness
        ),
        .executableTarget(
            name: "lws-client",
            dependencies: [
                "LibWebSockets",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/lws-client",
            exclude: ["README.md"],
            swiftSettings: strictness
        ),
        .executableTarget(
            name: "lws-footprint",
            dependencies: [
                "LibWebSockets",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/lws-footprint",
            exclude: ["README.md"],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "LibWebSocketsTests",
            dependencies: ["LibWebSockets"],
            swiftSettings: strictness
        ),
    ]
)

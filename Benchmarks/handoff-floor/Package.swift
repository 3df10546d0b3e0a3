// swift-tools-version:6.1
import PackageDescription

// A benchmark of the Swift runtime alone: what handing one message to an async handler costs
// when the handler runs on the thread that delivers the message. See README.md.
let package = Package(
    name: "handoff-floor",
    platforms: [.macOS(.v15)],
    targets: [
        .executableTarget(name: "handoff-floor", swiftSettings: [.swiftLanguageMode(.v6)])
    ]
)

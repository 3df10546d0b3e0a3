import Logging

/// Carries lws's process-global log into swift-log.
///
/// lws has one log level and one emit function per process, so this bridge is process-wide too:
/// every context sets the level mask from its configuration when it is created (the last one
/// wins), and every line goes to one logger, labelled "libwebsockets" unless replaced with
/// ``setLogger(_:)``. The lws side lives in `LWS/LogBridge.swift`.
public enum LWSLogBridge {
    static let sink = Locked<Logger>(Logger(label: "libwebsockets"))

    /// Replaces the logger that lws's lines go to.
    /// - Parameter logger: the new destination; its own log level still filters.
    public static func setLogger(_ logger: Logger) {
        sink.withLock { $0 = logger }
    }

    /// Logs one line lws emitted at `level`.
    static func emit(_ text: String, level: LWSLogLevels) {
        let logger = sink.withLock { $0 }
        logger.log(level: swiftLogLevel(for: level), "\(text)", metadata: ["lws.level": "\(level.rawValue)"])
    }

    /// The swift-log level for one lws level.
    static func swiftLogLevel(for level: LWSLogLevels) -> Logger.Level {
        switch level {
        case .error: return .error
        case .warning: return .warning
        case .notice: return .notice
        case .debug: return .debug
        default: return .info  // INFO, USER and the rest
        }
    }
}

import CLibwebsockets
import Logging

/// Carries lws's process-global log into swift-log.
///
/// lws has one log level and one emit function per process, so this bridge is process-wide too:
/// every context sets the level mask from its configuration when it is created (the last one
/// wins), and every line goes to one logger, labelled "libwebsockets" unless replaced with
/// ``setLogger(_:)``.
public enum LWSLogBridge {
    private static let sink = Locked<Logger>(Logger(label: "libwebsockets"))

    /// Replaces the logger that lws's lines go to.
    /// - Parameter logger: the new destination; its own log level still filters.
    public static func setLogger(_ logger: Logger) {
        sink.withLock { $0 = logger }
    }

    /// Sets lws's level mask and installs the bridge. Call on a thread that may call lws
    /// (a service thread, or before any context exists).
    /// - Parameter levels: the `LLL_*` levels lws should emit.
    static func apply(_ levels: LWSLogLevels) {
        lws_set_log_level(levels.rawValue, lwsLogEmit)
    }

    fileprivate static func emit(level: Int32, line: UnsafePointer<CChar>?) {
        guard let line else { return }
        var text = String(cString: line)
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        let swiftLevel = swiftLogLevel(forLWS: level)
        let logger = sink.withLock { $0 }
        logger.log(level: swiftLevel, "\(text)", metadata: ["lws.level": "\(level)"])
    }

    /// The swift-log level for one `LLL_*` bit.
    static func swiftLogLevel(forLWS level: Int32) -> Logger.Level {
        switch LWSLogLevels(rawValue: level) {
        case .error: return .error
        case .warning: return .warning
        case .notice: return .notice
        case .debug: return .debug
        default: return .info  // INFO, USER and the rest
        }
    }
}

/// lws's emit callback: a plain C function, called on whichever thread logged.
private func lwsLogEmit(_ level: Int32, _ line: UnsafePointer<CChar>?) {
    LWSLogBridge.emit(level: level, line: line)
}

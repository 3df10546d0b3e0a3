import CLibwebsockets

/// lws's side of ``LWSLogBridge``: the level mask and the emit callback.
extension LWSLogBridge {
    /// Sets lws's level mask and installs the bridge. Call on a thread that may call lws
    /// (a service thread, or before any context exists).
    /// - Parameter levels: the levels lws should emit.
    static func apply(_ levels: LWSLogLevels) {
        lws_set_log_level(LWSOptionMapping.lwsLogLevels(levels), lwsLogEmit)
    }
}

/// lws's emit callback: a plain C function, called on whichever thread logged.
private func lwsLogEmit(_ level: Int32, _ line: UnsafePointer<CChar>?) {
    guard let line else { return }
    var text = String(cString: line)
    while text.last == "\n" || text.last == "\r" { text.removeLast() }
    LWSLogBridge.emit(text, level: LWSOptionMapping.logLevels(fromLWS: level))
}

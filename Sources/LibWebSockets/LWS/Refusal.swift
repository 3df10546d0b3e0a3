import CLibwebsockets

/// Refusing upgrades past `maxConnections`. Runs on the service thread.
///
/// Plain lws stops polling its listen socket when its fd budget is used up, and new clients then
/// hang in the kernel's backlog with no answer. This package keeps headroom in the budget and
/// answers every upgrade over the limit at once with `HTTP 503` and `Retry-After`, before the
/// WebSocket exists. (Not close 1013 after the upgrade: lws 4.1's own client rewrites 1013 to
/// 1002, so its users would never see why.)
extension ContextEngine {
    /// Seconds a refused client is told to wait.
    static let refusalRetryAfter = "1"

    /// `HTTP_CONFIRM_UPGRADE`: 0 lets the upgrade go on, -1 hangs up after our 503.
    func confirmUpgrade(wsi: OpaquePointer) -> Int32 {
        guard !admitsConnection() else { return 0 }
        countRefusal()
        Headers.respond(
            status: 503,
            headers: [("retry-after", Self.refusalRetryAfter), ("content-type", "text/plain"), ("connection", "close")],
            body: "too many connections, retry later\n", wsi: wsi)
        return -1
    }

    /// Counts a refused connection (upgrade or client connect) and logs at most once a second.
    func countRefusal() {
        let total = stats.connectionRefused()
        let now = ContinuousClock.now
        guard local.value.lastRefusalLog.map({ now - $0 >= .seconds(1) }) ?? true else { return }
        local.value.lastRefusalLog = now
        logger.warning(
            "refusing WebSocket connection with HTTP 503",
            metadata: ["open": "\(local.value.connections.count)", "maxConnections": "\(configuration.maxConnections)",
                       "refusedTotal": "\(total)", "stopping": "\(local.value.shutdownDeadline != nil)"])
    }
}

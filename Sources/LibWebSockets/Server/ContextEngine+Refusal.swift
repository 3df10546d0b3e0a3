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
        writeServiceUnavailable(wsi: wsi)
        return -1
    }

    func countRefusal() {
        let total = stats.connectionRefused()
        let now = ContinuousClock.now
        guard lastRefusalLog.map({ now - $0 >= .seconds(1) }) ?? true else { return }
        lastRefusalLog = now
        logger.warning(
            "refusing WebSocket connection with HTTP 503",
            metadata: ["open": "\(connections.count)", "maxConnections": "\(configuration.maxConnections)",
                       "refusedTotal": "\(total)", "stopping": "\(shutdownDeadline != nil)"])
    }

    private func writeServiceUnavailable(wsi: OpaquePointer) {
        let body = "too many connections, retry later\n"
        let headroom = Int(lwsb_pre())
        var buffer = [UInt8](repeating: 0, count: headroom + 512)
        buffer.withUnsafeMutableBufferPointer { storage in
            let start = storage.baseAddress! + headroom
            let end = storage.baseAddress! + storage.count
            var p: UnsafeMutablePointer<UInt8>? = start
            func header(_ name: String, _ value: String) -> Bool {
                name.withCString { n in
                    value.withCString { v in
                        lws_add_http_header_by_name(
                            wsi, UnsafeRawPointer(n).assumingMemoryBound(to: UInt8.self),
                            UnsafeRawPointer(v).assumingMemoryBound(to: UInt8.self), Int32(value.utf8.count), &p, end) == 0
                    }
                }
            }
            guard lws_add_http_header_status(wsi, UInt32(HTTP_STATUS_SERVICE_UNAVAILABLE.rawValue), &p, end) == 0,
                  header("retry-after:", Self.refusalRetryAfter), header("content-type:", "text/plain"),
                  header("connection:", "close"),
                  lws_add_http_header_content_length(wsi, lws_filepos_t(body.utf8.count), &p, end) == 0,
                  lws_finalize_http_header(wsi, &p, end) == 0, var cursor = p,
                  end - cursor >= body.utf8.count
            else { return }
            for byte in body.utf8 {
                cursor.pointee = byte
                cursor += 1
            }
            _ = lws_write(wsi, start, cursor - start, LWS_WRITE_HTTP_FINAL)
        }
    }
}

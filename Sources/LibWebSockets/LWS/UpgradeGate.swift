import CLibwebsockets

/// Deciding upgrades before the 101, and refusing them with a response every client can read.
/// Runs on the service thread, in `HTTP_CONFIRM_UPGRADE` (and `ADD_HEADERS` for the 101).
///
/// Plain lws stops polling its listen socket when its fd budget is used up, and new clients then
/// hang in the kernel's backlog with no answer. This package keeps headroom in the budget and
/// answers every upgrade over the limit at once with `HTTP 503` and `Retry-After`, before the
/// WebSocket exists. (Not close 1013 after the upgrade: lws 4.1's own client rewrites 1013 to
/// 1002, so its users would never see why.) The same path writes the origin, per-address and
/// hook refusals.
extension ContextEngine {
    /// Seconds a client refused over capacity is told to wait.
    static let refusalRetryAfter = "1"
    /// A hook slower than this is logged: it holds up every connection of the context.
    static let slowHookWarning = Duration.milliseconds(10)
    /// Most bytes of extra headers the hook may add to a response: they must fit beside lws's
    /// own headers in its 4 KiB per-thread buffer (the 101) and in a refusal's buffer.
    static let maxHookHeaderBytes = 2048

    /// `HTTP_CONFIRM_UPGRADE`: 0 lets the upgrade go on, -1 hangs up after our refusal.
    func confirmUpgrade(wsi: OpaquePointer) -> Int32 {
        local.value.pendingUpgrades[wsi] = nil  // lws reuses wsi memory
        // A keep-alive HTTP connection that now upgrades counts once, as the WebSocket.
        if !local.value.httpConnections.isEmpty { local.value.httpConnections.remove(wsi) }
        // lws 4.1.6 checks only that a key is there and under 128 bytes, and answers 101 to any.
        guard UpgradePolicy.isValidKey(Headers.value(WSI_TOKEN_KEY, of: wsi)) else { return refuse(.badRequest, wsi: wsi) }
        guard admitsConnection() else { return refuse(.overCapacity, wsi: wsi) }
        let request = upgradeRequest(of: wsi)
        let open = local.value.openPerAddress[request.remoteAddress] ?? 0
        if let refusal = upgradePolicy.check(origin: request.origin, openFromAddress: open) {
            return refuse(refusal, wsi: wsi)
        }
        var pending = PendingUpgrade(remoteAddress: request.remoteAddress)
        if let upgradeHook {
            let start = ContinuousClock.now
            let decision: WebSocketUpgradeDecision
            do {
                decision = try upgradeHook(request)
            } catch {
                logger.error("upgrade hook threw; answering 500", metadata: ["error": "\(error)", "path": "\(request.path)"])
                return refuse(.hookFailed, wsi: wsi)
            }
            let took = ContinuousClock.now - start
            if took > Self.slowHookWarning {
                logger.warning(
                    "upgrade hook ran long on the service thread; it must not block",
                    metadata: ["duration": "\(took)", "path": "\(request.path)"])
            }
            let extraHeaders: [(name: String, value: String)]
            switch decision.kind {
            case .reject(_, let headers, _), .accept(let headers, _): extraHeaders = headers
            }
            let headerBytes = extraHeaders.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
            guard headerBytes <= Self.maxHookHeaderBytes else {
                logger.error("upgrade hook's headers are over \(Self.maxHookHeaderBytes) bytes; answering 500",
                             metadata: ["bytes": "\(headerBytes)", "path": "\(request.path)"])
                return refuse(.hookFailed, wsi: wsi)
            }
            switch decision.kind {
            case .reject(let status, let headers, let body):
                guard (400 ... 599).contains(status), body.utf8.count <= 1024 else {
                    logger.error("upgrade hook rejected with an invalid status or a body over 1024 bytes; answering 500",
                                 metadata: ["status": "\(status)"])
                    return refuse(.hookFailed, wsi: wsi)
                }
                return refuse(.rejectedByHook(status: status), headers: headers, body: body, wsi: wsi)
            case .accept(let headers, let userState):
                pending.responseHeaders = headers
                pending.userState = userState
            }
        }
        local.value.pendingUpgrades[wsi] = pending
        return 0
    }

    /// `CONFIRM_EXTENSION_OKAY`: lws asks, once per permessage-deflate offer in the request, in
    /// order, whether to accept it; 0 accepts (lws then echoes its value-less parameters), 1
    /// declines that offer. Only offers lws 4.1.6 can honour are accepted (``DeflateNegotiation``).
    func confirmCompression(wsi: OpaquePointer) -> Int32 {
        guard var pending = local.value.pendingUpgrades[wsi] else { return 1 }
        let offers = pending.deflateOffers ?? DeflateNegotiation(header: Headers.value(WSI_TOKEN_EXTENSIONS, of: wsi) ?? "")
        pending.deflateOffers = offers
        let question = pending.deflateQuestions
        pending.deflateQuestions += 1
        defer { local.value.pendingUpgrades[wsi] = pending }
        guard let offer = offers.answer(question: question) else {
            stats.compressionOfferDeclined()
            let reason = offers.offers.indices.contains(question) ? offers.offers[question].declineReason ?? "" : "unreadable offer"
            logger.debug("permessage-deflate offer declined", metadata: ["reason": "\(reason)"])
            return 1
        }
        pending.compression = .init(
            serverNoContextTakeover: offer.serverNoContextTakeover, clientNoContextTakeover: offer.clientNoContextTakeover,
            serverMaxWindowBits: offer.serverMaxWindowBits ?? 15)
        pending.answerServerWindow = offer.serverMaxWindowBits
        return 0
    }

    /// The request as the hook sees it.
    private func upgradeRequest(of wsi: OpaquePointer) -> WebSocketUpgradeRequest {
        let headers = Headers.all(of: wsi, customNames: configuration.customRequestHeaders)
        let peer = Headers.peerAddress(of: wsi)
        return WebSocketUpgradeRequest(
            path: Headers.pathWithQuery(of: wsi), headers: headers,
            remoteAddress: upgradePolicy.clientAddress(peer: peer, forwardedFor: headers["x-forwarded-for"]),
            peerAddress: peer, requestedSubprotocols: UpgradePolicy.subprotocols(headers["sec-websocket-protocol"]),
            isSecure: lws_is_ssl(wsi) != 0)
    }

    /// Answers with the refusal's status and hangs up; counts and logs it.
    private func refuse(
        _ reason: UpgradePolicy.Refusal, headers: [(name: String, value: String)] = [], body: String? = nil,
        wsi: OpaquePointer
    ) -> Int32 {
        countRefusal(stats.upgradeRefused(reason), reason: "\(reason)")
        var all = headers.map { ($0.name, $0.value) }
        if reason == .overCapacity { all.append(("retry-after", Self.refusalRetryAfter)) }
        all.append(("content-type", "text/plain"))
        all.append(("connection", "close"))
        if !Headers.respond(status: reason.status, headers: all, body: body ?? reason.body, wsi: wsi) {
            logger.error("could not write the refusal; dropping the connection", metadata: ["status": "\(reason.status)"])
        }
        return -1
    }

    /// Logs a refusal at most once a second, with the running total.
    func countRefusal(_ total: Int, reason: String) {
        let now = ContinuousClock.now
        guard local.value.lastRefusalLog.map({ now - $0 >= .seconds(1) }) ?? true else { return }
        local.value.lastRefusalLog = now
        logger.warning(
            "refusing WebSocket connection",
            metadata: ["reason": "\(reason)", "open": "\(local.value.connections.count)",
                       "maxConnections": "\(configuration.maxConnections)", "refusedTotal": "\(total)",
                       "stopping": "\(local.value.shutdownDeadline != nil)"])
    }

    /// `ADD_HEADERS` during the 101: the hook's extra response headers. `args` is lws's
    /// `struct lws_process_html_args`, whose `p` moves on as headers are written.
    func addUpgradeHeaders(wsi: OpaquePointer, args: UnsafeMutableRawPointer?) -> Int32 {
        guard let pending = local.value.pendingUpgrades[wsi], let args else { return 0 }
        let html = args.assumingMemoryBound(to: lws_process_html_args.self)
        if let bits = pending.answerServerWindow, !Compression.answerServerWindow(bits, in: html) {
            logger.error("could not answer server_max_window_bits in the 101; refusing the upgrade")
            return -1
        }
        let headers = pending.responseHeaders
        guard !headers.isEmpty else { return 0 }
        guard let start = html.pointee.p else { return 0 }
        let end = UnsafeMutableRawPointer(start).assumingMemoryBound(to: UInt8.self) + Int(html.pointee.max_len)
        var cursor: UnsafeMutablePointer<UInt8>? = UnsafeMutableRawPointer(start).assumingMemoryBound(to: UInt8.self)
        for (name, value) in headers where !Headers.add(name, value, wsi: wsi, cursor: &cursor, end: end) {
            logger.error("upgrade hook's response headers do not fit; refusing the upgrade")
            return -1
        }
        let written = UnsafeMutableRawPointer(cursor!) - UnsafeMutableRawPointer(start)
        html.pointee.p = UnsafeMutableRawPointer(cursor!).assumingMemoryBound(to: CChar.self)
        html.pointee.max_len -= Int32(written)
        return 0
    }
}

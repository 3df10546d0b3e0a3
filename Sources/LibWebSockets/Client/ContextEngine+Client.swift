import CLibwebsockets
import Dispatch

/// Client connections. Everything here runs on the service thread.
extension ContextEngine {
    func startConnect(_ request: ClientConnectRequest) {
        guard let context = lwsContext, let resources, shutdownDeadline == nil else {
            request.promise.fail(LWSError.contextShutDown)
            return
        }
        guard connections.count < configuration.maxConnections else {
            countRefusal()
            request.promise.fail(LWSError.tooManyConnections)
            return
        }
        let core = ConnectionCore(engine: self, limits: limits)
        core.client = ClientHandshake(
            promise: request.promise, headers: request.headers,
            remoteAddress: "\(request.address):\(request.url.port)", path: request.url.path)
        register(core)
        let box = Unmanaged.passRetained(core)
        let subprotocols = request.subprotocols.joined(separator: ",")

        var info = lws_client_connect_info()
        info.context = context
        info.port = Int32(request.url.port)
        info.local_protocol_name = resources.defaultProtocolName
        info.opaque_user_data = box.toOpaque()
        info.retry_and_idle_policy = UnsafePointer(resources.retryPolicy)
        info.ietf_version_or_minus_one = -1
        // lws copies these strings during the call.
        let origin = request.origin ?? "http://\(request.url.hostHeader)"
        let wsi = request.address.withCString { address in
            request.url.path.withCString { path in
                request.url.hostHeader.withCString { host in
                    origin.withCString { origin in
                        withOptionalCString(subprotocols.isEmpty ? nil : subprotocols) { protocols in
                            info.address = address
                            info.path = path
                            info.host = host
                            info.origin = origin
                            info.protocol = protocols
                            return lws_client_connect_via_info(&info)
                        }
                    }
                }
            }
        }
        guard wsi != nil else {
            // lws returns NULL synchronously ("Too many fds", socket failure); no callback follows.
            if !core.boxReleased { box.release() }
            if core.client?.promise != nil { clientConnectFailed(core, wsi: nil, message: "too many fds") }
            return
        }
        core.pendingWSI = wsi
        let delay = DispatchTimeInterval.nanoseconds(Int(configuration.connectTimeout.seconds * 1e9))
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { self.submit(.connectDeadline(core)) }
    }

    func clientEstablished(wsi: OpaquePointer) -> Int32 {
        guard let core = core(of: wsi), let handshake = core.client, let promise = handshake.promise else {
            return -1
        }
        core.client?.promise = nil
        core.pendingWSI = nil
        core.opened(wsi: wsi)
        let info = WebSocketConnection.Info(
            remoteAddress: handshake.remoteAddress, path: handshake.path, headers: WebSocketHeaders(),
            subprotocol: handshake.subprotocol, isClient: true)
        promise.succeed(WebSocketConnection(core: core, info: info))
        return 0
    }

    /// `CLIENT_CONNECTION_ERROR`, or a NULL return from `lws_client_connect_via_info`.
    func clientConnectFailed(_ core: ConnectionCore, wsi: OpaquePointer?, message: String) {
        guard let promise = core.client?.promise else {
            connectionEnded(core)
            return
        }
        core.client?.promise = nil
        core.pendingWSI = nil
        let status = wsi.map { Int(lws_http_client_http_response($0)) } ?? 0
        let error: LWSError
        if core.client?.timedOut == true || message.lowercased().contains("timed out") || message.contains("timeout") {
            error = .timeout
        } else if wsi == nil {
            error = .tooManyConnections
        } else if status > 0, status != 101 {
            error = .handshakeRejected(status: status)
        } else if message.contains("connect") || message.contains("refused") {
            error = .connectionRefused
        } else {
            error = .connectFailed(message)
        }
        connectionEnded(core)
        promise.fail(error)
    }

    func connectDeadlinePassed(_ core: ConnectionCore) {
        guard core.client?.promise != nil, let wsi = core.pendingWSI else { return }
        core.client?.timedOut = true
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
    }

    /// `CLIENT_APPEND_HANDSHAKE_HEADER`: `cursor` is lws's `unsigned char **p`; `remaining`
    /// the room left.
    func appendHandshakeHeaders(_ core: ConnectionCore, wsi: OpaquePointer, cursor: UnsafeMutableRawPointer, remaining: Int) -> Int32 {
        guard let headers = core.client?.headers, !headers.isEmpty else { return 0 }
        let p = cursor.assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
        guard let start = p.pointee else { return 0 }
        let end = start + remaining
        for (name, value) in headers {
            let added = "\(name):".withCString { cName in
                value.withCString { cValue in
                    lws_add_http_header_by_name(
                        wsi, UnsafeRawPointer(cName).assumingMemoryBound(to: UInt8.self),
                        UnsafeRawPointer(cValue).assumingMemoryBound(to: UInt8.self), Int32(value.utf8.count), p, end)
                }
            }
            if added != 0 { return -1 }
        }
        return 0
    }
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

import CLibwebsockets

/// The lws callback dispatch. Everything here runs on the service thread, inside `lws_service`
/// (or `lws_context_destroy`). Nothing here runs user code: it only resumes continuations,
/// whose jobs run after `lws_service` returns.
extension ContextEngine {
    func handle(
        wsi: OpaquePointer, reason: lws_callback_reasons, user: UnsafeMutableRawPointer?,
        input: UnsafeMutableRawPointer?, length: Int
    ) -> Int32 {
        switch reason {
        // The trampoline hands reads and writes on our connections to the connection itself;
        // these come here only for a wsi without a box, which is not ours.
        case LWS_CALLBACK_RECEIVE, LWS_CALLBACK_CLIENT_RECEIVE:
            return -1
        case LWS_CALLBACK_SERVER_WRITEABLE, LWS_CALLBACK_CLIENT_WRITEABLE:
            return 0
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            drainInbox()
            return 0  // nonzero would close lws's wake pipe for good
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return confirmUpgrade(wsi: wsi)
        case LWS_CALLBACK_ESTABLISHED:
            return serverEstablished(wsi: wsi)
        case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
            core(of: wsi)?.client?.subprotocol = header(WSI_TOKEN_PROTOCOL, of: wsi)
            return 0
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            return clientEstablished(wsi: wsi)
        case LWS_CALLBACK_RECEIVE_PONG, LWS_CALLBACK_CLIENT_RECEIVE_PONG:
            core(of: wsi)?.receivedPong(UnsafeRawBufferPointer(start: input, count: length), wsi: wsi)
            return 0
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            core(of: wsi)?.peerInitiatedClose(UnsafeRawBufferPointer(start: input, count: length))
            return 0
        case LWS_CALLBACK_CLOSED, LWS_CALLBACK_CLIENT_CLOSED:
            if let core = core(of: wsi) { connectionEnded(core) }
            wakeIfJobsQueuedBeforePoll()
            return 0
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            if let core = core(of: wsi) {
                let message = input.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self) }
                clientConnectFailed(core, wsi: wsi, message: message ?? "")
            }
            wakeIfJobsQueuedBeforePoll()
            return 0
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            guard let core = core(of: wsi), let input else { return 0 }
            return appendHandshakeHeaders(core, wsi: wsi, cursor: input, remaining: length)
        case LWS_CALLBACK_WSI_DESTROY:
            releaseBox(of: wsi)
            wakeIfJobsQueuedBeforePoll()
            return 0
        default:
            return lws_callback_http_dummy(wsi, reason, user, input, length)
        }
    }

    /// Closes and connect errors can come from lws's timers, which it runs inside `lws_service`
    /// *before* it polls. Jobs they queue (a handler's next step) would then wait for the next
    /// socket event, so the loop is woken once more. Reads and writes come after the poll and
    /// need no such wake.
    private func wakeIfJobsQueuedBeforePoll() {
        guard !destroying, let context = lwsContext, executor.hasPendingJobs else { return }
        lws_cancel_service(context)
    }

    /// The connection box lws holds for `wsi`, if it is one of ours.
    func core(of wsi: OpaquePointer) -> ConnectionCore? {
        guard let box = lws_get_opaque_user_data(wsi) else { return nil }
        return Unmanaged<ConnectionCore>.fromOpaque(box).takeUnretainedValue()
    }

    /// Hands `core` to lws as `wsi`'s box; lws holds one retain until `WSI_DESTROY`.
    func attachBox(_ core: ConnectionCore, to wsi: OpaquePointer) {
        lws_set_opaque_user_data(wsi, Unmanaged.passRetained(core).toOpaque())
    }

    private func releaseBox(of wsi: OpaquePointer) {
        guard let box = lws_get_opaque_user_data(wsi) else { return }
        lws_set_opaque_user_data(wsi, nil)
        let core = Unmanaged<ConnectionCore>.fromOpaque(box).takeRetainedValue()
        core.boxReleased = true
        if connections[ObjectIdentifier(core)] != nil {  // ended without CLOSED / CONNECTION_ERROR
            if core.client?.promise != nil {
                clientConnectFailed(core, wsi: wsi, message: "closed before the handshake finished")
            } else {
                connectionEnded(core)
            }
        }
    }

    // MARK: Admission

    func admitsConnection() -> Bool {
        shutdownDeadline == nil && connections.count < configuration.maxConnections
    }

    func register(_ core: ConnectionCore) {
        connections[ObjectIdentifier(core)] = core
        stats.connectionOpened()
    }

    /// `CLOSED` / `CLIENT_CLOSED`, or a box destroyed without one.
    func connectionEnded(_ core: ConnectionCore) {
        guard connections.removeValue(forKey: ObjectIdentifier(core)) != nil else { return }
        stats.connectionClosed()
        core.closed()
    }

    // MARK: Server

    private func serverEstablished(wsi: OpaquePointer) -> Int32 {
        guard admitsConnection(), let handler else { return -1 }
        let core = ConnectionCore(engine: self, limits: limits)
        attachBox(core, to: wsi)
        core.opened(wsi: wsi)
        register(core)
        let connection = WebSocketConnection(core: core, info: requestInfo(of: wsi))
        startHandler(handler, for: connection)
        return 0
    }

    private func startHandler(_ handler: ConnectionHandler, for connection: WebSocketConnection) {
        switch configuration.handlerExecutor {
        case .serviceThread:
            Task(executorPreference: executor) { await handler.run(connection) }
        case .globalConcurrent:
            Task(executorPreference: globalConcurrentExecutor) { await handler.run(connection) }
        }
    }

    /// What the upgrade request said, read while lws still has the headers.
    private func requestInfo(of wsi: OpaquePointer) -> WebSocketConnection.Info {
        var path = header(WSI_TOKEN_GET_URI, of: wsi) ?? "/"
        if let query = header(WSI_TOKEN_HTTP_URI_ARGS, of: wsi), !query.isEmpty { path += "?" + query }
        var pairs: [(name: String, value: String)] = []
        for index in 0 ..< Int(WSI_TOKEN_COUNT.rawValue) {
            let token = lws_token_indexes(rawValue: UInt32(index))
            guard lws_hdr_total_length(wsi, token) > 0, let name = lws_token_to_string(token) else { continue }
            let cName = String(cString: name)
            guard cName.hasSuffix(":"), !cName.hasPrefix(":"), let value = header(token, of: wsi) else { continue }
            pairs.append((String(cName.dropLast()), value))
        }
        let headers = WebSocketHeaders(pairs)
        var subprotocol: String?
        if headers["sec-websocket-protocol"] != nil, let protocolPointer = lws_get_protocol(wsi),
           let name = protocolPointer.pointee.name {
            let chosen = String(cString: name)
            if chosen != LWSContextResources.defaultProtocolName { subprotocol = chosen }
        }
        var peer = [CChar](repeating: 0, count: 64)
        var remote = lws_get_peer_simple(wsi, &peer, peer.count).map { String(cString: $0) } ?? ""
        if remote.hasPrefix("::ffff:"), remote.contains(".") { remote.removeFirst(7) }  // IPv4-mapped
        return .init(remoteAddress: remote, path: path, headers: headers, subprotocol: subprotocol, isClient: false)
    }

    /// One request header as a string, or `nil` when absent.
    func header(_ token: lws_token_indexes, of wsi: OpaquePointer) -> String? {
        let length = Int(lws_hdr_total_length(wsi, token))
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard lws_hdr_copy(wsi, &buffer, Int32(buffer.count), token) >= 0 else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

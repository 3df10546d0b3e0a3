import CLibwebsockets

/// Accepting server connections: the upgrade became a WebSocket. Runs on the service thread.
extension ContextEngine {
    /// `ESTABLISHED`: boxes the connection and starts its handler task.
    func serverEstablished(wsi: OpaquePointer) -> Int32 {
        guard admitsConnection(), let handler else { return -1 }
        let core = ConnectionCore(engine: self, limits: limits)
        attachBox(core, to: wsi)
        core.opened(wsi: wsi)
        register(core)
        let connection = WebSocketConnection(core: core, info: requestInfo(of: wsi))
        switch configuration.handlerExecutor {
        case .serviceThread:
            Task(executorPreference: executor) { await handler.run(connection) }
        case .globalConcurrent:
            Task(executorPreference: globalConcurrentExecutor) { await handler.run(connection) }
        }
        return 0
    }

    /// What the upgrade request said, read while lws still has the headers.
    private func requestInfo(of wsi: OpaquePointer) -> WebSocketConnection.Info {
        var path = Headers.value(WSI_TOKEN_GET_URI, of: wsi) ?? "/"
        if let query = Headers.value(WSI_TOKEN_HTTP_URI_ARGS, of: wsi), !query.isEmpty { path += "?" + query }
        let headers = Headers.all(of: wsi)
        var subprotocol: String?
        if headers["sec-websocket-protocol"] != nil, let protocolPointer = lws_get_protocol(wsi),
           let name = protocolPointer.pointee.name {
            let chosen = String(cString: name)
            if chosen != ContextResources.defaultProtocolName { subprotocol = chosen }
        }
        var peer = [CChar](repeating: 0, count: 64)
        var remote = lws_get_peer_simple(wsi, &peer, peer.count).map { String(cString: $0) } ?? ""
        if remote.hasPrefix("::ffff:"), remote.contains(".") { remote.removeFirst(7) }  // IPv4-mapped
        return .init(remoteAddress: remote, path: path, headers: headers, subprotocol: subprotocol, isClient: false)
    }
}

import CLibwebsockets

/// Accepting server connections: the upgrade became a WebSocket. Runs on the service thread.
extension ContextEngine {
    /// `ESTABLISHED`: boxes the connection and starts its handler task.
    func serverEstablished(wsi: OpaquePointer) -> Int32 {
        let pending = local.value.pendingUpgrades.removeValue(forKey: wsi)
        guard admitsConnection(), handler != nil || inline != nil else { return -1 }
        let compression = pending?.compression
        let core = ConnectionCore(engine: self, limits: limits)
        if let compression { core.compressionStarted(windowBits: compression.serverMaxWindowBits, isClient: false) }
        attachBox(core, to: wsi)
        core.opened(wsi: wsi)
        register(core)
        let info = requestInfo(of: wsi, remoteAddress: pending?.remoteAddress, compression: compression)
        if upgradePolicy.maxConnectionsPerAddress != nil {
            local.value.openPerAddress[info.remoteAddress, default: 0] += 1
            local.value.addressOfConnection[ObjectIdentifier(core)] = info.remoteAddress
        }
        let connection = WebSocketConnection(core: core, info: info)
        if let userState = pending?.userState { connection.userState = userState }
        if let inline {
            let handler = InlineHandler(callbacks: inline, connection: connection)
            core.local.value.inline = handler
            handler.opened()
            return 0
        }
        guard let handler else { return -1 }
        switch configuration.handlerExecutor {
        case .serviceThread:
            Task(executorPreference: executor) { await handler.run(connection) }
        case .globalConcurrent:
            Task(executorPreference: globalConcurrentExecutor) { await handler.run(connection) }
        }
        return 0
    }

    /// A server connection ended: its address frees a slot under the per-address cap.
    func releaseAddress(of core: ConnectionCore) {
        guard upgradePolicy.maxConnectionsPerAddress != nil,
              let address = local.value.addressOfConnection.removeValue(forKey: ObjectIdentifier(core)) else { return }
        let left = (local.value.openPerAddress[address] ?? 1) - 1
        local.value.openPerAddress[address] = left > 0 ? left : nil
    }

    /// What the upgrade request said, read while lws still has the headers.
    /// - Parameter remoteAddress: the client's address as the upgrade gate decided it.
    private func requestInfo(
        of wsi: OpaquePointer, remoteAddress: String?, compression: WebSocketCompression.Negotiated?
    ) -> WebSocketConnection.Info {
        let headers = Headers.all(of: wsi, customNames: configuration.customRequestHeaders)
        var subprotocol: String?
        if headers["sec-websocket-protocol"] != nil, let protocolPointer = lws_get_protocol(wsi),
           let name = protocolPointer.pointee.name {
            let chosen = String(cString: name)
            if chosen != ContextResources.defaultProtocolName { subprotocol = chosen }
        }
        let commonName = configuration.tls?.clientCertificateTrustRootsPath == nil ? nil : TLSSetup.peerCommonName(of: wsi)
        return .init(
            remoteAddress: remoteAddress ?? Headers.peerAddress(of: wsi), path: Headers.pathWithQuery(of: wsi),
            headers: headers, subprotocol: subprotocol, isClient: false, isSecure: lws_is_ssl(wsi) != 0,
            clientCertificateCommonName: commonName, compression: compression)
    }
}

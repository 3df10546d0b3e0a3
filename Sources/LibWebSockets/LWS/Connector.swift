import CLibwebsockets

/// Client connections: connect, handshake, and how a failed connect is reported. Everything
/// here runs on the service thread.
extension ContextEngine {
    /// Starts a connect; the outcome goes to `request.promise`.
    func startConnect(_ request: ClientConnectRequest) {
        guard let context = local.value.lwsContext, let resources = local.value.resources,
              local.value.shutdownDeadline == nil
        else {
            request.promise.fail(LWSError.contextShutDown)
            return
        }
        guard local.value.connections.count < configuration.maxConnections else {
            countRefusal(stats.connectionRefused(), reason: "maxConnections (client connect)")
            request.promise.fail(LWSError.tooManyConnections)
            return
        }
        var tlsVhost: OpaquePointer?
        if request.url.isSecure {
            guard let vhost = clientTLSVhost() else {
                request.promise.fail(LWSError.tlsFailed("lws could not set up client TLS; lws logs the cause"))
                return
            }
            tlsVhost = vhost
            if configuration.clientTLS.isInsecure {
                logger.warning("wss connect with certificate checks weakened", metadata: [
                    "host": "\(request.url.host)", "allowSelfSigned": "\(configuration.clientTLS.insecureAllowSelfSigned)",
                    "skipHostnameCheck": "\(configuration.clientTLS.insecureSkipHostnameCheck)",
                    "allowExpired": "\(configuration.clientTLS.insecureAllowExpired)"])
            }
        }
        let core = ConnectionCore(engine: self, limits: limits)
        core.local.value.handshake = ClientHandshake(
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
        if let tlsVhost {
            info.vhost = tlsVhost
            info.ssl_connection = TLSSetup.connectFlags(configuration.clientTLS)
        }
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
        guard let wsi else {
            // lws returns NULL synchronously ("Too many fds", socket failure); no callback follows.
            if !core.local.value.boxReleased { box.release() }
            if core.local.value.handshake != nil { clientConnectFailed(core, wsi: nil, message: "too many fds") }
            return
        }
        core.local.value.handshake?.wsi = wsi
        submit(.connectDeadline(core), after: configuration.connectTimeout)
    }

    /// `CLIENT_FILTER_PRE_ESTABLISH`: the server's 101 was read. Its subprotocol, and its
    /// permessage-deflate answer, which lws has already taken on (it fails the handshake on an
    /// answer it cannot use); compressed data may follow the 101 in the same read.
    func clientPreEstablish(wsi: OpaquePointer) -> Int32 {
        guard let core = core(of: wsi), let handshake = core.local.value.handshake else { return 0 }
        handshake.subprotocol = Headers.value(WSI_TOKEN_PROTOCOL, of: wsi)
        if configuration.compression != nil, let answer = Headers.value(WSI_TOKEN_EXTENSIONS, of: wsi),
           let agreed = DeflateNegotiation(header: answer).offers.first {
            let negotiated = WebSocketCompression.Negotiated(
                serverNoContextTakeover: agreed.serverNoContextTakeover, clientNoContextTakeover: agreed.clientNoContextTakeover,
                serverMaxWindowBits: agreed.serverMaxWindowBits ?? 15, clientMaxWindowBits: agreed.clientMaxWindowBits ?? 15)
            handshake.compression = negotiated
            core.compressionStarted(windowBits: negotiated.clientMaxWindowBits, isClient: true)
        }
        return 0
    }

    /// `CLIENT_ESTABLISHED`: the connect succeeded.
    func clientEstablished(wsi: OpaquePointer) -> Int32 {
        guard let core = core(of: wsi), let handshake = core.local.value.handshake else { return -1 }
        core.local.value.handshake = nil
        core.opened(wsi: wsi)
        let info = WebSocketConnection.Info(
            remoteAddress: handshake.remoteAddress, path: handshake.path, headers: WebSocketHeaders(),
            subprotocol: handshake.subprotocol, isClient: true, isSecure: lws_is_ssl(wsi) != 0,
            compression: handshake.compression)
        handshake.promise.succeed(WebSocketConnection(core: core, info: info))
        return 0
    }

    /// `CLIENT_CONNECTION_ERROR`, or a NULL return from `lws_client_connect_via_info`.
    func clientConnectFailed(_ core: ConnectionCore, wsi: OpaquePointer?, message: String) {
        guard let handshake = core.local.value.handshake else {
            connectionEnded(core)
            return
        }
        core.local.value.handshake = nil
        let status = wsi.map { Int(lws_http_client_http_response($0)) } ?? 0
        let error: LWSError
        if let reason = handshake.tlsVerificationFailure {
            error = .tlsFailed(reason)
        } else if handshake.timedOut || message.lowercased().contains("timed out") || message.contains("timeout") {
            error = .timeout
        } else if message.contains("SSL") || message.lowercased().contains("tls") || message.contains("certificate") {
            error = .tlsFailed(message)
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
        handshake.promise.fail(error)
    }

    /// The connect did not finish in `connectTimeout`: drop it, reported as a timeout.
    func connectDeadlinePassed(_ core: ConnectionCore) {
        guard core.local.value.handshake?.wsi != nil else { return }
        core.local.value.handshake?.timedOut = true
        core.kill()
    }
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

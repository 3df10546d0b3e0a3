import CLibwebsockets

/// The lws callback dispatch, for everything but a connection's reads and writes (which the
/// trampoline hands to the connection directly). Everything here runs on the service thread,
/// inside `lws_service` (or `lws_context_destroy`). Nothing here runs user code: it only
/// resumes continuations, whose jobs run after `lws_service` returns.
extension ContextEngine {
    func handle(
        wsi: OpaquePointer, reason: lws_callback_reasons, user: UnsafeMutableRawPointer?,
        input: UnsafeMutableRawPointer?, length: Int
    ) -> Int32 {
        switch reason {
        // Reads and writes on our connections never come here; these are for a wsi without a
        // box, which is not ours.
        case LWS_CALLBACK_RECEIVE, LWS_CALLBACK_CLIENT_RECEIVE:
            return -1
        case LWS_CALLBACK_SERVER_WRITEABLE, LWS_CALLBACK_CLIENT_WRITEABLE:
            return 0
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            drainInbox()
            return 0  // nonzero would close lws's wake pipe for good
        case LWS_CALLBACK_FILTER_HTTP_CONNECTION:
            return filterHTTPRequest(wsi: wsi, uri: input, length: length)
        case LWS_CALLBACK_HTTP:
            return serveHTTP(wsi: wsi)
        case LWS_CALLBACK_HTTP_WRITEABLE:
            return httpWriteable(wsi: wsi, user: user, input: input, length: length)
        case LWS_CALLBACK_CLOSED_HTTP:
            httpConnectionEnded(wsi: wsi)
            return 0
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return confirmUpgrade(wsi: wsi)
        case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
            if length == 0, let store = user, let handshake = core(of: wsi)?.local.value.handshake {
                handshake.tlsVerificationFailure = TLSSetup.verificationFailure(store)
            }
            return 0  // lws keeps OpenSSL's verdict unless the callback clears the error
        case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
            return TLSSetup.clientCertificateVerdict(preverifyOK: length)
        case LWS_CALLBACK_CONFIRM_EXTENSION_OKAY:
            return confirmCompression(wsi: wsi)
        case LWS_CALLBACK_CLIENT_CONFIRM_EXTENSION_SUPPORTED:
            return configuration.compression == nil ? 1 : 0  // 0: offer it
        case LWS_CALLBACK_ADD_HEADERS:
            return addUpgradeHeaders(wsi: wsi, args: input)
        case LWS_CALLBACK_ESTABLISHED:
            return serverEstablished(wsi: wsi)
        case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
            return clientPreEstablish(wsi: wsi)
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
            guard let headers = core(of: wsi)?.local.value.handshake?.headers, let input else { return 0 }
            return Headers.append(headers, wsi: wsi, cursor: input, remaining: length) ? 0 : -1
        case LWS_CALLBACK_WSI_DESTROY:
            httpConnectionEnded(wsi: wsi)
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
        guard !local.value.destroying, let context = local.value.lwsContext, executor.hasPendingJobs else { return }
        lws_cancel_service(context)
    }

    // MARK: The connection box

    /// The connection box lws holds for `wsi`, if it is one of ours.
    func core(of wsi: OpaquePointer) -> ConnectionCore? { ConnectionCore.boxed(by: wsi) }

    /// Hands `core` to lws as `wsi`'s box; lws holds one retain until `WSI_DESTROY`.
    func attachBox(_ core: ConnectionCore, to wsi: OpaquePointer) {
        lws_set_opaque_user_data(wsi, Unmanaged.passRetained(core).toOpaque())
    }

    private func releaseBox(of wsi: OpaquePointer) {
        if !local.value.pendingUpgrades.isEmpty { local.value.pendingUpgrades[wsi] = nil }
        guard let box = lws_get_opaque_user_data(wsi) else { return }
        lws_set_opaque_user_data(wsi, nil)
        let core = Unmanaged<ConnectionCore>.fromOpaque(box).takeRetainedValue()
        core.local.value.boxReleased = true
        guard isRegistered(core) else { return }
        // Ended without CLOSED or CONNECTION_ERROR.
        if core.local.value.handshake != nil {
            clientConnectFailed(core, wsi: wsi, message: "closed before the handshake finished")
        } else {
            connectionEnded(core)
        }
    }

    // MARK: Admission and the end

    /// Whether one more connection fits: WebSockets and plain HTTP connections count together.
    func admitsConnection() -> Bool {
        local.value.shutdownDeadline == nil
            && local.value.connections.count + local.value.httpConnections.count < configuration.maxConnections
    }

    func register(_ core: ConnectionCore) {
        local.value.connections[ObjectIdentifier(core)] = core
        stats.connectionOpened()
    }

    func isRegistered(_ core: ConnectionCore) -> Bool { local.value.connections[ObjectIdentifier(core)] != nil }

    /// `CLOSED` / `CLIENT_CLOSED`, or a box destroyed without one.
    func connectionEnded(_ core: ConnectionCore) {
        guard local.value.connections.removeValue(forKey: ObjectIdentifier(core)) != nil else { return }
        stats.connectionClosed()
        releaseAddress(of: core)
        core.closed()
    }
}

extension ConnectionCore {
    /// The connection box lws holds for `wsi`, if it is one of ours.
    static func boxed(by wsi: OpaquePointer) -> ConnectionCore? {
        guard let box = lws_get_opaque_user_data(wsi) else { return nil }
        return Unmanaged<ConnectionCore>.fromOpaque(box).takeUnretainedValue()
    }
}

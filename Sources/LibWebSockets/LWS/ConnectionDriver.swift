import CLibwebsockets

/// Carries out a connection's state-machine actions with lws calls, in lws's callbacks.
/// Everything here runs on the service thread.
extension ConnectionCore {
    /// Most writes per WRITEABLE callback, so one busy connection cannot starve the others.
    static let maxWritesPerCallback = 16

    /// The handshake finished: lws's handle is ours to use.
    func opened(wsi: OpaquePointer) {
        local.value.wsi = wsi
        _ = state.withLock { $0.open() }
    }

    // MARK: RECEIVE

    /// Handles one chunk; returns the callback's result (-1 closes).
    func received(_ chunk: UnsafeRawBufferPointer, wsi: OpaquePointer) -> Int32 {
        if local.value.closeFrameSent { return 0 }  // data after our close frame is dropped while we wait for the ack
        let action = local.value.assembler.append(
            chunk, first: lws_is_first_fragment(wsi) != 0, final: lws_is_final_fragment(wsi) != 0,
            binary: lws_frame_is_binary(wsi) != 0, remainingInFrame: Int(lws_remaining_packet_payload(wsi)))
        switch action {
        case .needMore:
            return 0
        case .deliver(let message):
            engine.stats.messageReceived(bytes: message.byteCount)
            if let inline = local.value.inline {
                inline.received(message)
            } else {
                deliver(.message(message), wsi: wsi)
            }
            return 0
        case .closeTooLarge:
            return failAndClose(.messageTooLarge(limits.maxMessageSize), CloseFrame(code: .messageTooBig, reason: "message too big"), wsi: wsi)
        case .closeInvalidUTF8:
            return failAndClose(.invalidUTF8, CloseFrame(code: .invalidFramePayloadData, reason: "invalid UTF-8"), wsi: wsi)
        }
    }

    /// `RECEIVE_PONG`: resumes the ping that waits for it, and queues it for `onPong`.
    func receivedPong(_ payload: UnsafeRawBufferPointer, wsi: OpaquePointer) {
        let bytes = Array(payload)
        let (waiter, queueEvent) = state.withLock { $0.pongReceived(bytes) }
        waiter?.resume()
        if let inline = local.value.inline {
            inline.receivedPong(bytes)
        } else if queueEvent {
            deliver(.pong(bytes), wsi: wsi)
        }
    }

    private func deliver(_ event: InboundEvent, wsi: OpaquePointer) {
        if handOff(event) { return }
        let (reader, pause) = state.withLock { $0.receive(event) }
        if pause { lws_rx_flow_control(wsi, 0) }
        reader?.resume()
        serviceEventQueued()
    }

    /// Gives `event` to the parked handler task without the lock. Returns false when that task
    /// is not parked, or one event already waits for it.
    private func handOff(_ event: InboundEvent) -> Bool {
        guard let waiter = local.value.handlerWaiter, local.value.handoff == nil else { return false }
        local.value.handoff = event
        local.value.handlerWaiter = nil
        local.value.serviceEvents &+= 1
        waiter.resume()
        return true
    }

    /// An event was queued or the connection ended: wakes the handler task if it is parked.
    private func serviceEventQueued() {
        local.value.serviceEvents &+= 1
        if let waiter = local.value.handlerWaiter {
            local.value.handlerWaiter = nil
            waiter.resume()
        }
    }

    /// The peer broke a limit: close at once with `frame`; the reader sees `error`.
    private func failAndClose(_ error: LWSError, _ frame: CloseFrame, wsi: OpaquePointer) -> Int32 {
        state.withLock { $0.fail(error, frame: frame) }
        sendClose(frame, wsi: wsi)
        // While lws drains inflated data it ignores this callback's -1, so a compressed
        // connection also returns -1 from its next WRITEABLE, which lws honours with the close
        // frame. (Its timers would close without one.)
        if local.value.deflate != nil {
            local.value.hangUpWhenWriteable = true
            lws_callback_on_writable(wsi)
        }
        return -1
    }

    /// Hands lws the close frame; the caller then returns -1.
    func sendClose(_ frame: CloseFrame, wsi: OpaquePointer) {
        local.value.closeFrameSent = true
        // The peer's close ack may sit behind data we stopped reading: read (and drop) it.
        if state.withLock({ $0.closeFrameSending() }) { lws_rx_flow_control(wsi, 1) }
        var reason = frame.reason
        reason.withUTF8 { bytes in
            lws_close_reason(
                wsi, lws_close_status(rawValue: UInt32(frame.code.rawValue)),
                UnsafeMutablePointer(mutating: bytes.baseAddress), bytes.count)
        }
    }

    /// The consumer drained the inbound buffer: reading may resume.
    func resumeReading() {
        state.withLock { $0.readingResumed() }
        if let wsi = local.value.wsi { lws_rx_flow_control(wsi, 1) }
    }

    // MARK: Close

    /// `WS_PEER_INITIATED_CLOSE`.
    func peerInitiatedClose(_ payload: UnsafeRawBufferPointer) {
        let frame = CloseFrame(payload: payload)
        state.withLock { $0.peerClosed(frame) }
    }

    /// `CLOSED` / `CLIENT_CLOSED`: the connection is gone. Wakes everyone who waits on it.
    func closed() {
        local.value.wsi = nil
        let closeFrameSent = local.value.closeFrameSent
        let end = state.withLock { $0.end(closeFrameSent: closeFrameSent) }
        end.reader?.resume()
        serviceEventQueued()
        for sender in end.senders { sender.resume(throwing: LWSError.connectionClosed) }
        for pinger in end.pingers { pinger.resume(throwing: LWSError.connectionClosed) }
        for closer in end.closers { closer.resume() }
        if let inline = local.value.inline, let result = state.withLock({ $0.lifecycle.result }) {
            local.value.inline = nil  // it refers back to the connection
            inline.closed(result)
        }
    }

    /// Drops the socket without a close handshake, from any callback (lws closes it after the
    /// callback returns).
    func kill() {
        if let wsi = local.value.wsi ?? local.value.handshake?.wsi { ForcedClose.killSoon(wsi) }
    }
}

import CLibwebsockets

/// What a connection does in lws callbacks. Everything here runs on the service thread.
extension ConnectionCore {
    /// Most writes per WRITEABLE callback, so one busy connection cannot starve the others.
    static let maxWritesPerCallback = 16

    func opened(wsi: OpaquePointer) {
        self.wsi = wsi
        state.withLock { $0.phase = .open }
    }

    // MARK: RECEIVE

    /// Handles one chunk; returns the callback's result (-1 closes).
    func received(_ chunk: UnsafeRawBufferPointer, wsi: OpaquePointer) -> Int32 {
        if closeSent { return 0 }  // data after our close frame is dropped while we wait for the ack
        let action = assembler.append(
            chunk, first: lws_is_first_fragment(wsi) != 0, final: lws_is_final_fragment(wsi) != 0,
            binary: lws_frame_is_binary(wsi) != 0, remainingInFrame: Int(lws_remaining_packet_payload(wsi)))
        switch action {
        case .needMore:
            return 0
        case .deliver(let message):
            engine.stats.messageReceived(bytes: message.byteCount)
            deliver(.message(message), wsi: wsi)
            return 0
        case .closeTooLarge:
            return failAndClose(.messageTooLarge(limits.maxMessageSize), code: .messageTooBig, reason: "message too big", wsi: wsi)
        case .closeInvalidUTF8:
            return failAndClose(.invalidUTF8, code: .invalidFramePayloadData, reason: "invalid UTF-8", wsi: wsi)
        }
    }

    func receivedPong(_ payload: UnsafeRawBufferPointer, wsi: OpaquePointer) {
        let bytes = Array(payload)
        let (waiter, queueEvent) = state.withLock { s -> (ConnectionState.PingWaiter?, Bool) in
            let index = s.pingWaiters.firstIndex { $0.payload == bytes }
            return (index.map { s.pingWaiters.remove(at: $0) }, s.wantsPongEvents)
        }
        waiter?.continuation.resume()
        if queueEvent { deliver(.pong(bytes), wsi: wsi) }
    }

    private func deliver(_ event: InboundEvent, wsi: OpaquePointer) {
        if handOff(event) { return }
        let (receiver, pause) = state.withLock { s -> (ConnectionState.Receiver?, Bool) in
            s.inbound.append(event)
            s.inboundBytes += event.bufferCost
            let receiver = s.receiver
            s.receiver = nil
            guard s.inboundBytes > limits.maxInboundBuffer, !s.readPaused else { return (receiver, false) }
            s.readPaused = true
            return (receiver, true)
        }
        if pause { lws_rx_flow_control(wsi, 0) }
        receiver?.resume()
        serviceEventQueued()
    }

    private func failAndClose(_ error: LWSError, code: WebSocketCloseCode, reason: String, wsi: OpaquePointer) -> Int32 {
        state.withLock {
            $0.failure = error
            if $0.phase == .open { $0.phase = .closing }
            $0.requestedClose = (code, reason)
        }
        sendCloseFrame(code: code, reason: reason, wsi: wsi)
        return -1
    }

    private func sendCloseFrame(code: WebSocketCloseCode, reason: String, wsi: OpaquePointer) {
        closeSent = true
        // The peer's close ack may sit behind data we stopped reading: read (and drop) it.
        let paused = state.withLock { s -> Bool in
            defer { s.readPaused = false }
            return s.readPaused
        }
        if paused { lws_rx_flow_control(wsi, 1) }
        var reason = reason
        reason.withUTF8 { bytes in
            lws_close_reason(
                wsi, lws_close_status(rawValue: UInt32(code.rawValue)),
                UnsafeMutablePointer(mutating: bytes.baseAddress), bytes.count)
        }
    }

    /// Reading may resume: the consumer drained the inbound buffer.
    func resumeReading() {
        state.withLock {
            $0.readPaused = false
            $0.resumeRequested = false
        }
        if let wsi { lws_rx_flow_control(wsi, 1) }
    }

    // MARK: WRITEABLE

    /// What `writeable` does next, decided under the lock.
    private enum WriteStep {
        /// A ping, already taken off its queue.
        case ping([UInt8])
        /// A whole message in one frame, already taken off the queue.
        case message(OutboundMessage)
        /// The next fragment of the head message, which stays queued until its last fragment.
        case fragment(OutboundMessage)
        case close(WebSocketCloseCode, String)
        case idle
    }

    /// What is left once a step is taken, so that the common case (one message, nothing
    /// behind it) needs no second trip through the lock.
    private enum Backlog {
        case none
        /// Only the close frame: it needs no check that the socket can take more.
        case closeFrame
        case frames
    }

    /// Takes the next step: pings first (they may go between a message's fragments), then the
    /// head message, then the close frame once nothing is queued. `advance` first commits the
    /// bytes of a fragment written by the previous step.
    private func takeStep(
        _ s: inout ConnectionState, advance: Int, resumed: inout [CheckedContinuation<Void, any Error>]
    ) -> (WriteStep, Backlog) {
        if advance > 0 { s.outbound[0].offset += advance }
        let step: WriteStep
        if !s.pingsToSend.isEmpty {
            step = .ping(s.pingsToSend.removeFirst())
        } else if let head = s.outbound.first {
            if head.remaining <= limits.maxFrameSize {
                s.outbound.removeFirst()
                s.outboundBytes -= head.byteCount
                if !s.sendWaiters.isEmpty { admitWaiters(&s, into: &resumed) }
                step = .message(head)
            } else {
                return (.fragment(head), .frames)
            }
        } else if s.phase == .closing, let close = s.requestedClose {
            return (.close(close.code, close.reason), .none)
        } else {
            return (.idle, .none)
        }
        if !s.pingsToSend.isEmpty || !s.outbound.isEmpty { return (step, .frames) }
        return (step, s.phase == .closing && s.requestedClose != nil ? .closeFrame : .none)
    }

    /// Writes queued pings and message fragments; sends the close frame once the queue is empty.
    ///
    /// A second frame in the same callback is written only while lws has nothing buffered and
    /// the socket is not choked. `lws_send_pipe_choked` is a `poll()` of its own, so it is asked
    /// only when there is a second frame to write, never after the last one.
    func writeable(wsi: OpaquePointer) -> Int32 {
        if closeSent { return 0 }  // lws sends WRITEABLE during its own close: nothing to do
        var resumed: [CheckedContinuation<Void, any Error>] = []
        let result = writeFrames(wsi: wsi, resuming: &resumed)
        if !resumed.isEmpty { resumeSenders(resumed) }
        return result
    }

    @inline(never)
    private func resumeSenders(_ senders: [CheckedContinuation<Void, any Error>]) {
        for sender in senders { sender.resume() }
    }

    private func writeFrames(wsi: OpaquePointer, resuming resumed: inout [CheckedContinuation<Void, any Error>]) -> Int32 {
        var advance = 0
        var writes = 0
        while true {
            let (step, backlog) = state.withLock { s in
                if writes == 0 { s.writableRequested = false }
                return takeStep(&s, advance: advance, resumed: &resumed)
            }
            advance = 0
            switch step {
            case .idle:
                return 0
            case .close(let code, let reason):
                sendCloseFrame(code: code, reason: reason, wsi: wsi)
                return -1
            case .ping(let payload):
                guard writePing(payload, wsi: wsi) else { return -1 }
            case .message(let message):
                guard writeFragment(of: message, length: message.remaining, wsi: wsi) else {
                    state.withLock { $0.lostInWrite += 1 }
                    return -1
                }
                engine.stats.wrote(bytes: message.remaining, messageDone: true)
            case .fragment(let head):
                let length = min(head.remaining, limits.maxFrameSize)
                guard writeFragment(of: head, length: length, wsi: wsi) else { return -1 }
                engine.stats.wrote(bytes: length, messageDone: false)
                advance = length
            }
            writes += 1
            switch backlog {
            case .none:
                return 0
            case .closeFrame:
                continue
            case .frames:
                if writes >= Self.maxWritesPerCallback || lws_partial_buffered(wsi) != 0 || lws_send_pipe_choked(wsi) != 0 {
                    state.withLock { s in
                        if advance > 0 { s.outbound[0].offset += advance }
                        s.writableRequested = true
                    }
                    lws_callback_on_writable(wsi)
                    return 0
                }
            }
        }
    }

    /// Moves suspended senders' messages into the queue while there is room, in order.
    private func admitWaiters(_ s: inout ConnectionState, into resumed: inout [CheckedContinuation<Void, any Error>]) {
        while s.outboundBytes <= limits.maxBackpressure, let waiter = s.sendWaiters.popFirst() {
            s.outbound.append(OutboundMessage(message: waiter.message))
            s.outboundBytes += waiter.message.byteCount
            resumed.append(waiter.continuation)
        }
    }

    private func writeFragment(of message: OutboundMessage, length: Int, wsi: OpaquePointer) -> Bool {
        let buffer = engine.writeBuffer(payloadCapacity: length)
        message.withFragment(length: length) { fragment in
            if length > 0 { buffer.copyMemory(from: fragment.baseAddress!, byteCount: length) }
        }
        let written = lws_write(wsi, buffer.assumingMemoryBound(to: UInt8.self), length, message.writeFlags(fragmentLength: length))
        return written >= length
    }

    private func writePing(_ payload: [UInt8], wsi: OpaquePointer) -> Bool {
        let buffer = engine.writeBuffer(payloadCapacity: payload.count)
        payload.withUnsafeBytes { if !$0.isEmpty { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        return lws_write(wsi, buffer.assumingMemoryBound(to: UInt8.self), payload.count, LWS_WRITE_PING) >= payload.count
    }

    // MARK: Close

    /// `WS_PEER_INITIATED_CLOSE`: a 2-byte big-endian code, then the reason.
    func peerInitiatedClose(_ payload: UnsafeRawBufferPointer) {
        let code: WebSocketCloseCode
        var reason = ""
        if payload.count >= 2 {
            code = WebSocketCloseCode(rawValue: UInt16(payload[0]) << 8 | UInt16(payload[1]))
            reason = String(decoding: UnsafeRawBufferPointer(rebasing: payload[2...]), as: UTF8.self)
        } else {
            code = .noStatusReceived
        }
        state.withLock { s in
            s.peerClose = (code, reason)
            if s.phase == .open { s.phase = .closing }
        }
    }

    /// `CLOSED` / `CLIENT_CLOSED`: the connection is gone. Wakes everyone who waits on it.
    func closed() {
        wsi = nil
        let locallyInitiated = closeSent
        let (receiver, senders, pingers, closers) = state.withLock { s in
            s.phase = .closed
            var result: WebSocketCloseResult
            if let peer = s.peerClose {
                result = .init(code: peer.code, reason: peer.reason, initiatedLocally: locallyInitiated)
            } else if locallyInitiated, let ours = s.requestedClose {
                result = .init(code: ours.code, reason: ours.reason, initiatedLocally: true)
            } else {
                result = .init(code: .abnormalClosure, reason: "", initiatedLocally: false)
            }
            result.undeliveredMessages = s.outbound.count + s.sendWaiters.count + s.lostInWrite
            s.result = result
            s.outbound.removeAll()
            s.outboundBytes = 0
            s.pingsToSend.removeAll()
            defer {
                s.receiver = nil
                s.sendWaiters.removeAll()
                s.pingWaiters.removeAll()
                s.closeWaiters.removeAll()
            }
            // (An empty Deque copied to an Array writes to the shared empty-array storage, which
            // ThreadSanitizer reports as a race; skip the copy when there is nothing to copy.)
            let senders = s.sendWaiters.isEmpty ? [] : Array(s.sendWaiters)
            return (s.receiver, senders, s.pingWaiters, s.closeWaiters)
        }
        receiver?.resume()
        serviceEventQueued()
        for sender in senders { sender.continuation.resume(throwing: LWSError.connectionClosed) }
        for pinger in pingers { pinger.continuation.resume(throwing: LWSError.connectionClosed) }
        for closer in closers { closer.resume() }
    }
}

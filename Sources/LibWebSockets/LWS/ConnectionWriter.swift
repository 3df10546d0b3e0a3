import CLibwebsockets

/// What a connection writes in a WRITEABLE callback. Everything here runs on the service thread.
extension ConnectionCore {
    typealias WriteStep = State.WriteStep

    /// Writes queued pings and messages (a long one as fragments); sends the close frame once
    /// nothing else is queued. The state machine decides each step; this carries it out.
    ///
    /// A second frame in the same callback is written only while lws has nothing buffered and
    /// the socket is not choked. `lws_send_pipe_choked` is a `poll()` of its own, so it is asked
    /// only when there is a second frame to write, never after the last one.
    func writeable(wsi: OpaquePointer) -> Int32 {
        // lws sends WRITEABLE during its own close: nothing to do, unless lws ignored the -1 that
        // should have closed (see `failAndClose`).
        if local.value.closeFrameSent { return local.value.hangUpWhenWriteable ? -1 : 0 }
        var admitted: [Waiter] = []
        let result = writeFrames(wsi: wsi, admitted: &admitted)
        if !admitted.isEmpty { resumeSenders(admitted) }
        return result
    }

    @inline(never)
    private func resumeSenders(_ senders: [Waiter]) {
        for sender in senders { sender.resume() }
    }

    private func writeFrames(wsi: OpaquePointer, admitted: inout [Waiter]) -> Int32 {
        var advance = 0
        var writes = 0
        while true {
            let (step, backlog) = state.withLock { s in
                if writes == 0 { s.writeableBegan() }
                return s.nextWrite(advance: advance, admitted: &admitted)
            }
            advance = 0
            switch step {
            case .idle:
                return 0
            case .close(let frame):
                sendClose(frame, wsi: wsi)
                return -1
            case .ping(let payload):
                let written = payload.withUnsafeBytes { write($0, wsi: wsi, protocol: LWS_WRITE_PING) }
                guard written else { return -1 }
            case .message(let message):
                guard writeFragment(of: message, length: message.remaining, wsi: wsi) else {
                    state.withLock { $0.writeFailed() }
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
            case .closeFrame, .frames:
                // lws sends a compressed message in pieces, and anything written before the last
                // would be taken as the next piece: wait for the WRITEABLE after it.
                if local.value.deflate?.outputPending == true {
                    state.withLock { $0.deferWrites(advance: advance) }
                    lws_callback_on_writable(wsi)
                    return 0
                }
                if case .closeFrame = backlog { continue }
                if writes >= Self.maxWritesPerCallback || lws_partial_buffered(wsi) != 0 || lws_send_pipe_choked(wsi) != 0 {
                    state.withLock { $0.deferWrites(advance: advance) }
                    lws_callback_on_writable(wsi)
                    return 0
                }
            }
        }
    }

    private func writeFragment(of message: OutboundMessage, length: Int, wsi: OpaquePointer) -> Bool {
        let (kind, isFinal) = message.frame(length: length)
        return message.withFragment(length: length) { write($0, wsi: wsi, protocol: Self.writeProtocol(kind, isFinal: isFinal)) }
    }

    /// Copies `payload` behind `LWS_PRE` bytes of headroom (lws masks client frames in place,
    /// so it always gets a copy) and writes it. False when lws failed or took less. A compressed
    /// connection copies into a buffer of its own, which lws's compressor reads until it has sent
    /// the whole message (``DeflateBuffers``).
    private func write(_ payload: UnsafeRawBufferPointer, wsi: OpaquePointer, protocol flags: lws_write_protocol) -> Bool {
        let buffer = local.value.deflate?.outputBuffer(payloadCapacity: payload.count, headroom: ContextResources.pre)
            ?? engine.writeBuffer(payloadCapacity: payload.count)
        if !payload.isEmpty { buffer.copyMemory(from: payload.baseAddress!, byteCount: payload.count) }
        return lws_write(wsi, buffer.assumingMemoryBound(to: UInt8.self), payload.count, flags) >= payload.count
    }

    /// The `lws_write` flags for one frame.
    static func writeProtocol(_ kind: OutboundMessage.FrameKind, isFinal: Bool) -> lws_write_protocol {
        var flags: UInt32
        switch kind {
        case .text: flags = LWS_WRITE_TEXT.rawValue
        case .binary: flags = LWS_WRITE_BINARY.rawValue
        case .continuation: flags = LWS_WRITE_CONTINUATION.rawValue
        }
        if !isFinal { flags |= LWS_WRITE_NO_FIN.rawValue }
        return lws_write_protocol(rawValue: flags)
    }
}

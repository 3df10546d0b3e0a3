import Synchronization

/// One WebSocket connection: the box lws holds as the wsi's opaque user data, and what
/// ``WebSocketConnection`` talks to.
///
/// - ``state`` is shared by any thread, under its lock: the pure ``ConnectionStateMachine``.
///   Every method here takes the lock once, lets the machine decide, and carries out the
///   action it returns after unlocking.
/// - ``local`` belongs to the service thread: lws's handle, reassembly, the handshake, and the
///   handler task's lock-free hand-off (``ConnectionLocal``).
/// - ``engine`` and ``limits`` never change.
/// What lws does with a connection is in `LWS/ConnectionDriver.swift`; how a reader waits, in
/// `ConnectionCore+Reading.swift`. The service thread retains the box from the moment lws
/// knows it until `WSI_DESTROY`.
final class ConnectionCore: Sendable {
    typealias Waiter = CheckedContinuation<Void, any Error>
    typealias State = ConnectionStateMachine<Waiter, Wakeup>

    struct Limits {
        let maxMessageSize: Int
        let maxFrameSize: Int
        let maxBackpressure: Int
        let maxInboundBuffer: Int
        let lwsValidatesUTF8: Bool
    }

    let engine: ContextEngine
    let limits: Limits
    let state: Locked<State>
    let local: ServiceThreadOwned<ConnectionLocal>
    /// The address of the server handler task that reads this connection (0 if none).
    let handlerTask = Atomic<Int>(0)

    init(engine: ContextEngine, limits: Limits) {
        self.engine = engine
        self.limits = limits
        self.state = Locked(State(
            maxBackpressure: limits.maxBackpressure, maxFrameSize: limits.maxFrameSize,
            maxInboundBuffer: limits.maxInboundBuffer))
        self.local = ServiceThreadOwned(
            ConnectionLocal(assembler: MessageAssembler(
                maxMessageSize: limits.maxMessageSize, textIsValidated: limits.lwsValidatesUTF8)),
            identity: engine.identity)
    }

    // MARK: - Sending (any thread)

    /// Queues a message if there is room. Returns false when the caller must wait
    /// (``sendAfterWaiting(_:)``). Synchronous, so that the common case costs no async call.
    func sendWithoutWaiting(_ message: WebSocketMessage) throws -> Bool {
        try carryOut(state.withLock { $0.send(message) })
    }

    /// Queues a message at once, or throws ``LWSError/bufferFull``.
    func trySend(_ message: WebSocketMessage) throws {
        guard try carryOut(state.withLock { $0.send(message) }) else { throw LWSError.bufferFull }
    }

    /// Carries out a send's action; returns false when the sender must wait.
    private func carryOut(_ action: State.SendAction) throws -> Bool {
        switch action {
        case .queued(let requestWritable):
            if requestWritable { engine.requestWritable(self) }
            return true
        case .wait:
            return false
        case .fail(let error):
            throw error
        }
    }

    /// Queues a message once the outbound buffer is back under `maxBackpressure`, behind the
    /// senders already waiting.
    func sendAfterWaiting(_ message: WebSocketMessage) async throws {
        let id = state.withLock { $0.makeSenderID() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                if Task.isCancelled { return continuation.resume(throwing: CancellationError()) }
                let action = state.withLock { $0.sendOrWait(message, id: id, waiter: continuation) }
                do {
                    if try carryOut(action) { continuation.resume() }
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            state.withLock { $0.cancelSender(id: id) }?.resume(throwing: CancellationError())
        }
    }

    /// Sends a ping and waits for the matching pong.
    func ping(_ payload: [UInt8]) async throws {
        guard payload.count <= 125 else { throw LWSError.pingPayloadTooLong(payload.count) }
        try await withCheckedThrowingContinuation { (continuation: Waiter) in
            switch state.withLock({ $0.ping(payload, waiter: continuation) }) {
            case nil: continuation.resume(throwing: LWSError.connectionClosed)
            case true?: engine.requestWritable(self)
            case false?: break
            }
        }
    }

    // MARK: - Closing (any thread)

    /// Starts the close handshake after queued messages are written, and waits for the end.
    func close(code: WebSocketCloseCode, reason: String) async -> WebSocketCloseResult {
        if requestClose(code: code, reason: reason) { engine.scheduleCloseTimeout(for: self) }
        return await closeResult()
    }

    /// Records the close request. Returns whether this call started the close.
    @discardableResult
    func requestClose(code: WebSocketCloseCode, reason: String) -> Bool {
        guard let requestWritable = state.withLock({ $0.requestClose(CloseFrame(code: code, reason: reason)) }) else {
            return false
        }
        if requestWritable { engine.requestWritable(self) }
        return true
    }

    /// How the connection ended, or `nil` while it has not.
    var result: WebSocketCloseResult? { state.withLock { $0.lifecycle.result } }

    /// Waits until the connection has ended.
    func closeResult() async -> WebSocketCloseResult {
        if let result { return result }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if state.withLock({ $0.awaitEnd(Wakeup(continuation)) }) != nil { continuation.resume() }
        }
        return result!
    }

    /// Bytes queued for sending and not yet handed to lws.
    var bufferedOutboundBytes: Int { state.withLock { $0.outbound.bytes } }
}

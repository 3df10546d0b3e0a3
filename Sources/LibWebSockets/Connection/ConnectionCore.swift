import CLibwebsockets
import Synchronization

/// One WebSocket connection's state: the box that lws holds as the wsi's opaque user data.
///
/// Thread ownership:
/// - `wsi`, `assembler`, `closeSent`, `boxReleased`, the client fields and the handler task's
///   fields (`handlerWaiter`, `serviceEvents`, `handlerTaken`, `handoff`) belong to the service
///   thread; only it reads or writes them. The server's handler task runs there too (it prefers
///   the context's executor), and it alone uses the handler task's fields.
/// - `state` is shared: any thread, always under its lock (`Locked`).
/// - `engine` and `limits` never change.
/// The service thread retains the box from the moment lws knows it until `WSI_DESTROY`.
final class ConnectionCore: @unchecked Sendable {
    struct Limits {
        let maxMessageSize: Int
        let maxFrameSize: Int
        let maxBackpressure: Int
        let maxInboundBuffer: Int
        let lwsValidatesUTF8: Bool
    }

    let engine: ContextEngine
    let limits: Limits
    let state = Locked(ConnectionState())
    /// The address of the server handler task that reads this connection (0 if none).
    private let handlerTask = Atomic<Int>(0)

    // Service thread only. One thread cannot overlap its own accesses, so the dynamic
    // exclusivity check (a thread-local lookup per access, per message) buys nothing here.
    @exclusivity(unchecked) var wsi: OpaquePointer?
    @exclusivity(unchecked) var assembler: MessageAssembler
    @exclusivity(unchecked) var closeSent = false
    @exclusivity(unchecked) var boxReleased = false
    @exclusivity(unchecked) var client: ClientHandshake?
    /// A client's wsi while its handshake runs (`wsi` is set only once it is open).
    @exclusivity(unchecked) var pendingWSI: OpaquePointer?
    /// The server handler task, suspended on the service thread until an event may be waiting.
    @exclusivity(unchecked) var handlerWaiter: UnsafeContinuation<Void, Never>?
    /// Events queued and ends seen, counted here so that the handler task, which runs on this
    /// same thread, can tell without the lock whether one came since it last looked.
    @exclusivity(unchecked) var serviceEvents: UInt64 = 0
    /// Events the handler task took. While it equals ``serviceEvents`` the handler task took
    /// every event there was, so the queue is empty and it can park without looking. (If
    /// another task took some, the two never meet again and the handler task always looks.)
    @exclusivity(unchecked) var handlerTaken: UInt64 = 0
    /// An event handed straight to the parked handler task, past the locked queue (which is
    /// empty whenever that task is parked). Counted in ``serviceEvents`` like any other.
    @exclusivity(unchecked) var handoff: InboundEvent?

    init(engine: ContextEngine, limits: Limits) {
        self.engine = engine
        self.limits = limits
        self.assembler = MessageAssembler(maxMessageSize: limits.maxMessageSize, textIsValidated: limits.lwsValidatesUTF8)
    }

    // MARK: - Sending (any thread)

    /// Queues a message if there is room. Returns false when the caller must wait
    /// (``sendAfterWaiting(_:)``). Synchronous, so that the common case costs no async call.
    func sendWithoutWaiting(_ message: WebSocketMessage) throws -> Bool {
        enum Decision { case queued(wake: Bool), wait, fail(LWSError) }
        let decision = state.withLock { s -> Decision in
            guard s.acceptsSends else { return .fail(.connectionClosed) }
            guard s.sendWaiters.isEmpty, s.outboundBytes <= limits.maxBackpressure else { return .wait }
            return .queued(wake: Self.enqueue(message, into: &s))
        }
        switch decision {
        case .queued(let wake):
            if wake { engine.requestWritable(self) }
            return true
        case .fail(let error):
            throw error
        case .wait:
            return false
        }
    }

    /// Queues a message at once, or throws ``LWSError/bufferFull``.
    func trySend(_ message: WebSocketMessage) throws {
        let wake = try state.withLock { s -> Bool in
            guard s.acceptsSends else { throw LWSError.connectionClosed }
            guard s.sendWaiters.isEmpty, s.outboundBytes <= limits.maxBackpressure else { throw LWSError.bufferFull }
            return Self.enqueue(message, into: &s)
        }
        if wake { engine.requestWritable(self) }
    }

    /// Appends to the queue; returns whether a WRITEABLE must be asked for.
    private static func enqueue(_ message: WebSocketMessage, into s: inout ConnectionState) -> Bool {
        s.outbound.append(OutboundMessage(message: message))
        s.outboundBytes += message.byteCount
        defer { s.writableRequested = true }
        return !s.writableRequested
    }

    /// Queues a message once the outbound buffer is back under `maxBackpressure`, behind the
    /// senders already waiting.
    func sendAfterWaiting(_ message: WebSocketMessage) async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiterID += 1
            return s.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case waiting, queued(wake: Bool), fail(any Error) }
                let outcome = state.withLock { s -> Outcome in
                    guard s.acceptsSends else { return .fail(LWSError.connectionClosed) }
                    if Task.isCancelled { return .fail(CancellationError()) }
                    if s.sendWaiters.isEmpty, s.outboundBytes <= limits.maxBackpressure {
                        return .queued(wake: Self.enqueue(message, into: &s))
                    }
                    s.sendWaiters.append(.init(id: id, message: message, continuation: continuation))
                    return .waiting
                }
                switch outcome {
                case .waiting: break
                case .queued(let wake):
                    if wake { engine.requestWritable(self) }
                    continuation.resume()
                case .fail(let error):
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let waiter = state.withLock { s -> ConnectionState.SendWaiter? in
                guard let index = s.sendWaiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sendWaiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Sends a ping and waits for the matching pong.
    func ping(_ payload: [UInt8]) async throws {
        guard payload.count <= 125 else { throw LWSError.pingPayloadTooLong(payload.count) }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let wake = state.withLock { s -> Bool? in
                guard s.acceptsSends else { return nil }
                s.pingsToSend.append(payload)
                s.pingWaiters.append(.init(payload: payload, continuation: continuation))
                defer { s.writableRequested = true }
                return !s.writableRequested
            }
            switch wake {
            case nil: continuation.resume(throwing: LWSError.connectionClosed)
            case true?: engine.requestWritable(self)
            case false?: break
            }
        }
    }

    /// Starts the close handshake after queued messages are written, and waits for the end.
    func close(code: WebSocketCloseCode, reason: String) async -> WebSocketCloseResult {
        if requestClose(code: code, reason: reason) { engine.scheduleCloseTimeout(for: self) }
        return await closeResult()
    }

    /// Records the close request. Returns whether this call started the close.
    @discardableResult
    func requestClose(code: WebSocketCloseCode, reason: String) -> Bool {
        let wake = state.withLock { s -> Bool? in
            guard s.phase == .open else { return nil }
            s.phase = .closing
            s.requestedClose = (code, reason)
            defer { s.writableRequested = true }
            return !s.writableRequested
        }
        guard let wake else { return false }
        if wake { engine.requestWritable(self) }
        return true
    }

    /// Waits until the connection has ended.
    func closeResult() async -> WebSocketCloseResult {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ended = state.withLock { s -> Bool in
                if s.result != nil { return true }
                s.closeWaiters.append(continuation)
                return false
            }
            if ended { continuation.resume() }
        }
        return state.withLock { $0.result! }
    }

    // MARK: - Receiving (any thread; one consumer)
    //
    // A reader on another thread gets events through `state`'s lock: it is only woken, then
    // takes the event under the lock itself. (ThreadSanitizer cannot see a value handed over by
    // `resume(returning:)` when the resume races the task's suspension.) The server's handler
    // task on the service thread shares that thread with everything that queues events, so it
    // parks, and may be handed an event, through service-thread-only fields.

    /// What the consumer finds when it looks for the next event. Small on purpose: it lives in
    /// the async frame of every connection's reading task.
    enum Take {
        case message(WebSocketMessage)
        case pong([UInt8])
        /// The connection ended; ``endError`` says whether with an error.
        case end
        /// Nothing yet: wait, registered under this id.
        case wait(UInt64)
    }

    /// Takes the next event under the lock, without suspending; asks lws to read again when the
    /// consumer has drained the inbound buffer enough.
    ///
    /// Never inlined: inlined into an async caller, its temporaries (a `ServiceCommand` among
    /// them) got slots in the caller's async frame, which then overflowed the task allocator's
    /// first slab. Measured: 1 KB more per idle connection.
    @inline(never)
    func takeEvent() -> Take {
        let (take, resume) = state.withLock { s -> (Take, Bool) in
            guard let event = s.inbound.popFirst() else {
                if s.phase == .closed { return (.end, false) }
                s.receiverID += 1
                return (.wait(s.receiverID), false)
            }
            var resume = false
            s.inboundBytes -= event.bufferCost
            if s.readPaused, !s.resumeRequested, s.inboundBytes <= limits.maxInboundBuffer / 2 {
                s.resumeRequested = true
                resume = true
            }
            switch event {
            case .message(let message): return (.message(message), resume)
            case .pong(let payload): return (.pong(payload), resume)
            }
        }
        if resume { engine.submit(.resumeReading(self)) }
        return take
    }

    /// Records the calling task as this connection's server handler task.
    func claimForHandlerTask() {
        handlerTask.store(Self.currentTaskAddress(), ordering: .relaxed)
    }

    /// Whether the calling task is the server handler task, which nothing can cancel and which
    /// prefers the service thread's executor. It may use the service-thread-only fields (wait
    /// the cheapest way) only while it runs on that thread: see ``handlerTaskIsHere``.
    var isServiceThreadHandlerTask: Bool {
        guard engine.configuration.handlerExecutor == .serviceThread else { return false }
        let current = Self.currentTaskAddress()
        return current != 0 && current == handlerTask.load(ordering: .relaxed)
    }

    /// Whether the handler task (`isHandlerTask`, asked once by the caller) runs on the service
    /// thread right now. It almost always does; code it awaits in an actor, or under another
    /// executor preference, does not.
    @inline(__always)
    func handlerTaskIsHere(_ isHandlerTask: Bool) -> Bool { isHandlerTask && engine.isServiceThread }

    /// The current task's address (0 outside a task): an identity, never dereferenced.
    private static func currentTaskAddress() -> Int {
        withUnsafeCurrentTask { task in task.map { unsafeBitCast($0, to: Int.self) } ?? 0 }
    }

    /// Why the inbound side ended, if it ended with an error (1009, 1007).
    @inline(never)
    var endError: LWSError? { state.withLock { $0.failure } }

    /// Registers a reader's continuation, or resumes it at once if there is no need to wait.
    @inline(never)
    func park(_ receiver: ConnectionState.Receiver, id: UInt64) {
        let ready = state.withLock { s -> Bool in
            if !s.inbound.isEmpty || s.phase == .closed || s.receiverID != id || Task.isCancelled { return true }
            precondition(s.receiver == nil, "a connection's messages can only be read by one task at a time")
            s.receiver = receiver
            return false
        }
        if ready { receiver.resume() }
    }

    /// Wakes the consumer waiting under `id` (its task was cancelled).
    @inline(never)
    func unpark(id: UInt64) {
        let receiver = state.withLock { s -> ConnectionState.Receiver? in
            guard s.receiverID == id, let receiver = s.receiver else { return nil }
            s.receiver = nil
            return receiver
        }
        receiver?.resume()
    }

    /// The handler task on the service thread: suspends until an event may be waiting.
    ///
    /// Everything that queues events runs on this thread too, so no lock is needed: if
    /// ``serviceEvents`` still equals `seen` (read when ``takeEvent()`` found nothing), nothing
    /// came since. No cancellation handler (nothing can cancel that task) and an unchecked
    /// continuation (it is resumed on this same thread): the smallest frames, which every idle
    /// connection pays.
    nonisolated(nonsending) func waitOnServiceThread(seen: UInt64) async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            parkOnServiceThread(continuation, seen: seen)
        }
    }

    @inline(never)
    private func parkOnServiceThread(_ continuation: UnsafeContinuation<Void, Never>, seen: UInt64) {
        guard serviceEvents == seen else { return continuation.resume() }
        precondition(handlerWaiter == nil, "a connection's messages can only be read by one task at a time")
        handlerWaiter = continuation
    }

    /// Service thread: gives `event` to the parked handler task without the lock. Returns
    /// false when that task is not parked, or one event already waits for it.
    func handOff(_ event: InboundEvent) -> Bool {
        guard let waiter = handlerWaiter, handoff == nil else { return false }
        handoff = event
        handlerWaiter = nil
        serviceEvents &+= 1
        waiter.resume()
        return true
    }

    /// Service thread: an event was queued or the connection ended; wakes the handler task.
    func serviceEventQueued() {
        serviceEvents &+= 1
        if let waiter = handlerWaiter {
            handlerWaiter = nil
            waiter.resume()
        }
    }

    /// Any other reader: suspends until an event may be waiting, the connection ended, or the
    /// task is cancelled.
    func waitForEvent(_ id: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                park(.init(continuation), id: id)
            }
        } onCancel: {
            unpark(id: id)
        }
    }

    /// What a reader does next (the message iterator and the closure style's loop), decided
    /// without suspending.
    enum ReadStep {
        case event(InboundEvent)
        case end
        /// Park on the service thread, having seen this many events (``serviceEvents``).
        case park(seen: UInt64)
        /// Wait through the lock, registered under this id.
        case wait(UInt64)
    }

    /// Takes the reader's next event, or says how to wait for it: on the service thread the
    /// handler task uses the lock-free fields, any other reader the lock. Never inlined, like
    /// ``takeEvent()``: its temporaries would otherwise take slots in the async caller's frame,
    /// which every idle connection holds (measured: 1 KB more per idle connection).
    @inline(never)
    func readStep(isHandlerTask: Bool) -> ReadStep {
        let cheap = handlerTaskIsHere(isHandlerTask)
        if cheap {
            if let event = handoff {
                handoff = nil
                handlerTaken &+= 1
                return .event(event)
            }
            if serviceEvents == handlerTaken { return .park(seen: handlerTaken) }
        }
        switch takeEvent() {
        case .message(let message):
            if cheap { handlerTaken &+= 1 }
            return .event(.message(message))
        case .pong(let payload):
            if cheap { handlerTaken &+= 1 }
            return .event(.pong(payload))
        case .end:
            return .end
        case .wait(let id):
            return cheap ? .park(seen: serviceEvents) : .wait(id)
        }
    }

    /// The next message or pong for the server's handler task, `nil` after a clean end, or the
    /// error that ended it (the closure style's loop).
    /// - Parameter isHandlerTask: ``isServiceThreadHandlerTask``, asked once by the caller.
    func nextEventInHandlerTask(isHandlerTask: Bool) async throws -> InboundEvent? {
        while true {
            switch readStep(isHandlerTask: isHandlerTask) {
            case .event(let event): return event
            case .end:
                if let error = endError { throw error }
                return nil
            case .park(let seen): await waitOnServiceThread(seen: seen)
            case .wait(let id): await waitForEvent(id)
            }
        }
    }
}

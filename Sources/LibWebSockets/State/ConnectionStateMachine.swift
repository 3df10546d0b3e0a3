/// Everything about one connection that both the service thread and the user's tasks touch,
/// as one pure value: its lifecycle, its outbound queue, its inbound buffer and who waits on
/// what.
///
/// It lives behind the connection's lock (`ConnectionCore.state`). Each mutating method
/// decides, and returns what must happen next as an action: resume these waiters, ask lws for
/// a WRITEABLE callback, pause reading. The caller carries the actions out after the lock is
/// released. Generic over the waiters (`Waiter` for a suspended sender or pinger, `Reader` for
/// a suspended reader or closer), so the tests drive it with plain values and no task.
struct ConnectionStateMachine<Waiter, Reader> {
    /// What a send does.
    enum SendAction {
        /// Queued; ask lws for a WRITEABLE callback when `requestWritable`.
        case queued(requestWritable: Bool)
        /// No room: the sender must wait (or, for `trySend`, fail with `bufferFull`).
        case wait
        /// The connection is closing or closed.
        case fail(LWSError)
    }

    /// What a WRITEABLE callback writes next.
    enum WriteStep {
        case ping([UInt8])
        case message(OutboundMessage)
        case fragment(OutboundMessage)
        case close(CloseFrame)
        case idle
    }

    /// What is left once a step is taken, so that the common case (one message, nothing behind
    /// it) needs no second trip through the lock.
    enum Backlog: Equatable {
        case none
        /// Only the close frame: it needs no check that the socket can take more.
        case closeFrame
        case frames
    }

    /// What a reader finds when it looks for the next event.
    enum Take {
        case event(InboundEvent)
        /// The connection ended; ``ConnectionLifecycle/failure`` says whether with an error.
        case end
        /// Nothing yet: wait, registered under this id.
        case wait(UInt64)
    }

    /// Who must be told that the connection ended.
    struct EndAction {
        var result: WebSocketCloseResult
        var reader: Reader?
        var senders: [Waiter]
        var pingers: [Waiter]
        var closers: [Reader]
    }

    private(set) var lifecycle = ConnectionLifecycle()
    private(set) var outbound: OutboundQueue<Waiter>
    private(set) var inbound: InboundBuffer
    /// The one reader waiting for an event, woken (never handed the event) when one comes.
    private(set) var reader: Reader?
    private(set) var readerID: UInt64 = 0
    private var nextSenderID: UInt64 = 0
    private(set) var pingWaiters: [(payload: [UInt8], waiter: Waiter)] = []
    private(set) var closers: [Reader] = []
    /// Whether pongs are queued as events (the closure style's `onPong`).
    var wantsPongEvents = false

    init(maxBackpressure: Int, maxFrameSize: Int, maxInboundBuffer: Int) {
        outbound = OutboundQueue(maxBackpressure: maxBackpressure, maxFrameSize: maxFrameSize)
        inbound = InboundBuffer(maxBytes: maxInboundBuffer)
    }

    // MARK: Lifecycle

    /// The handshake finished.
    mutating func open() -> Bool { lifecycle.open() }

    /// This side asks to close once the queue is written.
    /// - Returns: `nil` when the connection was not open (nothing to do), else whether to ask
    ///   lws for a WRITEABLE callback.
    mutating func requestClose(_ frame: CloseFrame) -> Bool? {
        guard lifecycle.requestClose(frame) else { return nil }
        return outbound.requestWritable()
    }

    /// This side closes at once (1009, 1007): the driver writes the close frame now.
    mutating func fail(_ error: LWSError, frame: CloseFrame) { lifecycle.fail(error, frame: frame) }

    /// The close frame is being written; the peer's answer must be read, even if reading was
    /// paused. Returns whether reading must be turned back on.
    mutating func closeFrameSending() -> Bool { inbound.forceResume() }

    mutating func peerClosed(_ frame: CloseFrame) { lifecycle.peerClosed(frame) }

    /// The connection is gone: decides the result and hands back everyone still waiting.
    /// Received events stay queued: the reader still gets every message that arrived, then
    /// the end.
    mutating func end(closeFrameSent: Bool) -> EndAction {
        let (undelivered, senders) = outbound.removeAll()
        let result = lifecycle.end(closeFrameSent: closeFrameSent, undeliveredMessages: undelivered)
        defer {
            reader = nil
            pingWaiters.removeAll()
            closers.removeAll()
        }
        return EndAction(
            result: result, reader: reader, senders: senders.map(\.waiter), pingers: pingWaiters.map(\.waiter),
            closers: closers)
    }

    /// Registers a task waiting for the end, or returns the result if it already came.
    mutating func awaitEnd(_ closer: Reader) -> WebSocketCloseResult? {
        if let result = lifecycle.result { return result }
        closers.append(closer)
        return nil
    }

    // MARK: Sending

    /// Queues a message if there is room.
    mutating func send(_ message: WebSocketMessage) -> SendAction {
        guard lifecycle.acceptsSends else { return .fail(.connectionClosed) }
        guard outbound.hasRoom else { return .wait }
        return .queued(requestWritable: outbound.append(message))
    }

    /// A new id for a sender about to wait.
    mutating func makeSenderID() -> UInt64 {
        nextSenderID += 1
        return nextSenderID
    }

    /// Queues a message if there is room, else suspends the sender behind those already
    /// waiting. `.wait` means the sender is registered and will be resumed.
    mutating func sendOrWait(_ message: WebSocketMessage, id: UInt64, waiter: Waiter) -> SendAction {
        let action = send(message)
        if case .wait = action { outbound.addSender(.init(id: id, message: message, waiter: waiter)) }
        return action
    }

    /// Takes a suspended sender out (its task was cancelled).
    mutating func cancelSender(id: UInt64) -> Waiter? { outbound.removeSender(id: id)?.waiter }

    /// Queues a ping whose pong `waiter` awaits.
    /// - Returns: `nil` when the connection is not open, else whether to ask for WRITEABLE.
    mutating func ping(_ payload: [UInt8], waiter: Waiter) -> Bool? {
        guard lifecycle.acceptsSends else { return nil }
        pingWaiters.append((payload, waiter))
        return outbound.appendPing(payload)
    }

    /// A pong arrived: the first ping waiting for that payload, and whether the pong is also
    /// queued as an event.
    mutating func pongReceived(_ payload: [UInt8]) -> (waiter: Waiter?, queueEvent: Bool) {
        let index = pingWaiters.firstIndex { $0.payload == payload }
        return (index.map { pingWaiters.remove(at: $0).waiter }, wantsPongEvents)
    }

    // MARK: Writing (service thread)

    /// A WRITEABLE callback began.
    mutating func writeableBegan() { outbound.writeableBegan() }

    /// The next frame to write, then the close frame once nothing else is queued.
    /// - Parameters:
    ///   - advance: bytes of the head message written as a fragment by the previous step.
    ///   - admitted: receives the waiters of senders whose messages now fit; resume them.
    mutating func nextWrite(advance: Int, admitted: inout [Waiter]) -> (WriteStep, Backlog) {
        let step: WriteStep
        switch outbound.nextStep(advance: advance, admitted: &admitted) {
        case .ping(let payload): step = .ping(payload)
        case .message(let message): step = .message(message)
        case .fragment(let head): return (.fragment(head), .frames)
        case .idle:
            if let close = lifecycle.closeFrameDue { return (.close(close), .none) }
            return (.idle, .none)
        }
        if outbound.hasFrames { return (step, .frames) }
        return (step, lifecycle.closeFrameDue != nil ? .closeFrame : .none)
    }

    /// The socket is full for now: commit `advance` and wait for the next WRITEABLE.
    mutating func deferWrites(advance: Int) { outbound.deferRest(advance: advance) }

    /// permessage-deflate was negotiated: messages go to lws whole (``OutboundQueue/sendWholeMessages()``).
    mutating func sendWholeMessages() { outbound.sendWholeMessages() }

    /// A message taken off the queue could not be written.
    mutating func writeFailed() { outbound.writeFailed() }

    // MARK: Reading

    /// An event arrived (service thread).
    /// - Returns: the reader to wake, and whether lws must stop reading.
    mutating func receive(_ event: InboundEvent) -> (reader: Reader?, pauseReading: Bool) {
        let pause = inbound.push(event)
        defer { reader = nil }
        return (reader, pause)
    }

    /// Takes the next event without suspending.
    /// - Returns: what the reader found, and whether lws must read again.
    mutating func take() -> (Take, resumeReading: Bool) {
        let (event, resume) = inbound.pop()
        if let event { return (.event(event), resume) }
        if lifecycle.phase == .closed { return (.end, false) }
        readerID += 1
        return (.wait(readerID), false)
    }

    /// Reading resumed.
    mutating func readingResumed() { inbound.readingResumed() }

    /// Registers the reader that got `.wait(id)`, unless it need not wait after all (an event
    /// or the end came since, or `cancelled`).
    /// - Returns: false when registered; true when the caller must resume it at once.
    /// - Precondition: no other reader waits (messages are read by one task at a time).
    mutating func park(_ waiting: Reader, id: UInt64, cancelled: Bool) -> Bool {
        if !inbound.isEmpty || lifecycle.phase == .closed || readerID != id || cancelled { return true }
        precondition(reader == nil, "a connection's messages can only be read by one task at a time")
        reader = waiting
        return false
    }

    /// Takes out the reader registered under `id` (its task was cancelled).
    mutating func unpark(id: UInt64) -> Reader? {
        guard readerID == id, let waiting = reader else { return nil }
        reader = nil
        return waiting
    }
}

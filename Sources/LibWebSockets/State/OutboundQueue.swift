import DequeModule

/// What a connection has yet to write: messages, pings, and the senders waiting for room.
///
/// Pure and generic over `Waiter` (what a suspended sender is resumed through), so its tests
/// need no task. It holds the one rule for when a send must wait, and it tracks whether a
/// WRITEABLE callback has been asked for, so that a burst of sends asks lws once.
struct OutboundQueue<Waiter> {
    /// A sender suspended until the queue is back under ``maxBackpressure``.
    struct Sender {
        let id: UInt64
        let message: WebSocketMessage
        let waiter: Waiter
    }

    /// The next frame to write, already taken off the queue unless it is a fragment.
    enum Step {
        /// A ping payload.
        case ping([UInt8])
        /// A whole message in one frame.
        case message(OutboundMessage)
        /// The next fragment of the head message, which stays queued until its last fragment.
        case fragment(OutboundMessage)
        /// Nothing is queued.
        case idle
    }

    let maxBackpressure: Int
    /// Longest frame; `Int.max` once ``sendWholeMessages()`` was called.
    private(set) var maxFrameSize: Int
    private(set) var messages = Deque<OutboundMessage>()
    /// Payload bytes queued and not yet handed to lws.
    private(set) var bytes = 0
    private(set) var senders = Deque<Sender>()
    private(set) var pings = Deque<[UInt8]>()
    /// A WRITEABLE callback is already asked for; senders need not ask again.
    private(set) var writableRequested = false
    /// Messages taken off the queue whose write failed (the connection then ends).
    private(set) var lostInWrite = 0

    init(maxBackpressure: Int, maxFrameSize: Int) {
        self.maxBackpressure = maxBackpressure
        self.maxFrameSize = maxFrameSize
    }

    /// Whether a new message may be queued now: no one waits before it and the queue is not
    /// over ``maxBackpressure``. The one place this rule lives.
    var hasRoom: Bool { senders.isEmpty && bytes <= maxBackpressure }

    /// Whether anything but the close frame is left to write.
    var hasFrames: Bool { !pings.isEmpty || !messages.isEmpty }

    /// From now on every message goes out in one step, never as fragments: on a compressed
    /// connection lws compresses the whole message and makes the frames itself.
    mutating func sendWholeMessages() { maxFrameSize = .max }

    /// Queues a message (the caller checked ``hasRoom``).
    /// - Returns: whether the caller must ask lws for a WRITEABLE callback.
    mutating func append(_ message: WebSocketMessage) -> Bool {
        messages.append(OutboundMessage(message: message))
        bytes += message.byteCount
        return requestWritable()
    }

    /// Queues a ping payload.
    /// - Returns: whether the caller must ask lws for a WRITEABLE callback.
    mutating func appendPing(_ payload: [UInt8]) -> Bool {
        pings.append(payload)
        return requestWritable()
    }

    /// Notes that a WRITEABLE callback is wanted.
    /// - Returns: whether the caller must ask lws for it (nobody has since the last callback).
    mutating func requestWritable() -> Bool {
        defer { writableRequested = true }
        return !writableRequested
    }

    /// A WRITEABLE callback began: the next send must ask for another one.
    mutating func writeableBegan() { writableRequested = false }

    /// Suspends a sender until there is room.
    mutating func addSender(_ sender: Sender) { senders.append(sender) }

    /// Takes a suspended sender out (its task was cancelled).
    mutating func removeSender(id: UInt64) -> Sender? {
        guard let index = senders.firstIndex(where: { $0.id == id }) else { return nil }
        return senders.remove(at: index)
    }

    /// Takes the next frame to write: pings first (they may go between a message's fragments),
    /// then the head message, whole if it fits in ``maxFrameSize``, else its next fragment.
    /// - Parameters:
    ///   - advance: bytes of the head message written as a fragment by the previous step.
    ///   - admitted: receives the waiters of senders whose messages now fit in the queue;
    ///     the caller resumes them.
    mutating func nextStep(advance: Int, admitted: inout [Waiter]) -> Step {
        commit(advance: advance)
        if let ping = pings.popFirst() { return .ping(ping) }
        guard let head = messages.first else { return .idle }
        guard head.remaining <= maxFrameSize else { return .fragment(head) }
        messages.removeFirst()
        bytes -= head.byteCount
        if !senders.isEmpty { admitSenders(into: &admitted) }
        return .message(head)
    }

    /// Counts the bytes of the head message written as a fragment.
    mutating func commit(advance: Int) {
        if advance > 0 { messages[0].offset += advance }
    }

    /// The socket took all it could in this callback: commit `advance` and wait for the next
    /// WRITEABLE callback, which the caller asks for.
    mutating func deferRest(advance: Int) {
        commit(advance: advance)
        writableRequested = true
    }

    /// A message taken off the queue could not be written.
    mutating func writeFailed() { lostInWrite += 1 }

    /// Moves suspended senders' messages into the queue while there is room, in order.
    private mutating func admitSenders(into admitted: inout [Waiter]) {
        while bytes <= maxBackpressure, let sender = senders.popFirst() {
            messages.append(OutboundMessage(message: sender.message))
            bytes += sender.message.byteCount
            admitted.append(sender.waiter)
        }
    }

    /// Empties the queue (the connection ended).
    /// - Returns: how many messages were never written, and the senders still waiting.
    mutating func removeAll() -> (undelivered: Int, senders: [Sender]) {
        let undelivered = messages.count + senders.count + lostInWrite
        // (An empty Deque copied to an Array writes to the shared empty-array storage, which
        // ThreadSanitizer reports as a race; skip the copy when there is nothing to copy.)
        let waiting = senders.isEmpty ? [] : Array(senders)
        messages.removeAll()
        senders.removeAll()
        pings.removeAll()
        bytes = 0
        return (undelivered, waiting)
    }
}

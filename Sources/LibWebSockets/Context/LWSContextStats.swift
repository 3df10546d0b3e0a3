import Synchronization

/// Counters a context keeps, readable from any thread as a ``Snapshot``.
public final class LWSContextStats: Sendable {
    /// The counters at one moment. Each is read atomically; they are not read as one.
    public struct Snapshot: Sendable, Hashable {
        /// WebSocket connections open now, accepted and outgoing.
        public var openConnections: Int
        /// Connections refused because `maxConnections` was reached or the context was stopping.
        public var refusedConnections: Int
        /// Connections accepted or established since the start.
        public var totalConnections: Int
        /// Whole messages received.
        public var messagesIn: Int
        /// Whole messages written to lws.
        public var messagesOut: Int
        /// Payload bytes received.
        public var bytesIn: Int
        /// Payload bytes written to lws.
        public var bytesOut: Int
    }

    private let open = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    private let total = Atomic<Int>(0)
    private let messagesIn = Atomic<Int>(0)
    private let messagesOut = Atomic<Int>(0)
    private let bytesIn = Atomic<Int>(0)
    private let bytesOut = Atomic<Int>(0)

    init() {}

    /// The counters now.
    public var snapshot: Snapshot {
        Snapshot(
            openConnections: open.load(ordering: .relaxed), refusedConnections: refused.load(ordering: .relaxed),
            totalConnections: total.load(ordering: .relaxed), messagesIn: messagesIn.load(ordering: .relaxed),
            messagesOut: messagesOut.load(ordering: .relaxed), bytesIn: bytesIn.load(ordering: .relaxed),
            bytesOut: bytesOut.load(ordering: .relaxed))
    }

    func connectionOpened() {
        open.add(1, ordering: .relaxed)
        total.add(1, ordering: .relaxed)
    }

    func connectionClosed() { open.subtract(1, ordering: .relaxed) }

    /// Counts a refusal; returns the new total.
    func connectionRefused() -> Int { refused.add(1, ordering: .relaxed).newValue }

    func messageReceived(bytes: Int) {
        messagesIn.add(1, ordering: .relaxed)
        bytesIn.add(bytes, ordering: .relaxed)
    }

    func wrote(bytes: Int, messageDone: Bool) {
        bytesOut.add(bytes, ordering: .relaxed)
        if messageDone { messagesOut.add(1, ordering: .relaxed) }
    }
}

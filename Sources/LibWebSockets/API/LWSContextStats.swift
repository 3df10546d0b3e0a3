import Synchronization

/// Counters a context keeps, readable from any thread as a ``Snapshot``.
public final class LWSContextStats: Sendable {
    /// The counters at one moment. Each is read atomically; they are not read as one.
    public struct Snapshot: Sendable, Hashable {
        /// WebSocket connections open now, accepted and outgoing.
        public var openConnections: Int
        /// Connections refused, for any reason (the fields below, client connects over
        /// `maxConnections`, and upgrades refused with 400 for an invalid `Sec-WebSocket-Key`).
        public var refusedConnections: Int
        /// Upgrades and plain HTTP connections refused with 503: `maxConnections` reached, or
        /// the context was stopping.
        public var refusedOverCapacity: Int
        /// Upgrades refused with 403 because of their Origin (``LWSConfiguration/allowedOrigins``).
        public var refusedByOrigin: Int
        /// Upgrades refused with 429 (``LWSConfiguration/maxConnectionsPerAddress``).
        public var refusedByAddressLimit: Int
        /// Upgrades the upgrade hook rejected.
        public var refusedByHook: Int
        /// Upgrades refused with 500 because the upgrade hook threw.
        public var upgradeHookErrors: Int
        /// Plain HTTP requests received (routes, files, 404s), refused ones included.
        public var httpRequests: Int
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
        /// Connections opened with permessage-deflate (``LWSConfiguration/compression``).
        public var compressedConnections: Int = 0
        /// permessage-deflate offers declined because lws 4.1.6 cannot honour their parameters
        /// (the connection opened uncompressed); ``WebSocketCompression`` says which.
        public var compressionDeclined: Int = 0
        /// Compressed connections ended because lws 4.1.6 would have corrupted their stream: a
        /// control frame (a pong, a close echo) had to go out while a compressed message was still
        /// being sent in pieces, which that version writes as message data. Each one is logged.
        public var compressionConflicts: Int = 0
        /// Inline-style callbacks that ran longer than their `slowHandlerWarning` (each one
        /// held up every connection of the context); see ``WebSocketInlineCallbacks``.
        public var slowInlineHandlers: Int = 0
    }

    private let open = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    private let refusedOverCapacity = Atomic<Int>(0)
    private let refusedByOrigin = Atomic<Int>(0)
    private let refusedByAddressLimit = Atomic<Int>(0)
    private let refusedByHook = Atomic<Int>(0)
    private let upgradeHookErrors = Atomic<Int>(0)
    private let total = Atomic<Int>(0)
    private let httpRequests = Atomic<Int>(0)
    private let messagesIn = Atomic<Int>(0)
    private let messagesOut = Atomic<Int>(0)
    private let bytesIn = Atomic<Int>(0)
    private let bytesOut = Atomic<Int>(0)
    private let compressedConnections = Atomic<Int>(0)
    private let compressionDeclined = Atomic<Int>(0)
    private let compressionConflicts = Atomic<Int>(0)
    private let slowInlineHandlers = Atomic<Int>(0)

    init() {}

    /// The counters now.
    public var snapshot: Snapshot {
        Snapshot(
            openConnections: open.load(ordering: .relaxed), refusedConnections: refused.load(ordering: .relaxed),
            refusedOverCapacity: refusedOverCapacity.load(ordering: .relaxed),
            refusedByOrigin: refusedByOrigin.load(ordering: .relaxed),
            refusedByAddressLimit: refusedByAddressLimit.load(ordering: .relaxed),
            refusedByHook: refusedByHook.load(ordering: .relaxed),
            upgradeHookErrors: upgradeHookErrors.load(ordering: .relaxed),
            httpRequests: httpRequests.load(ordering: .relaxed),
            totalConnections: total.load(ordering: .relaxed), messagesIn: messagesIn.load(ordering: .relaxed),
            messagesOut: messagesOut.load(ordering: .relaxed), bytesIn: bytesIn.load(ordering: .relaxed),
            bytesOut: bytesOut.load(ordering: .relaxed), compressedConnections: compressedConnections.load(ordering: .relaxed),
            compressionDeclined: compressionDeclined.load(ordering: .relaxed),
            compressionConflicts: compressionConflicts.load(ordering: .relaxed),
            slowInlineHandlers: slowInlineHandlers.load(ordering: .relaxed))
    }

    // Only the service thread counts, so each counter has one writer: a relaxed load and store
    // publish it without the locked read-modify-write an `add` costs, four times per message.

    func connectionOpened() {
        Self.bump(open, by: 1)
        Self.bump(total, by: 1)
    }

    func connectionClosed() { Self.bump(open, by: -1) }

    /// Counts a refusal; returns the new total.
    func connectionRefused() -> Int { Self.bump(refused, by: 1) }

    /// Counts an upgrade refusal by its reason, and in the total; returns the new total.
    func upgradeRefused(_ reason: UpgradePolicy.Refusal) -> Int {
        switch reason {
        case .overCapacity: Self.bump(refusedOverCapacity, by: 1)
        case .originNotAllowed: Self.bump(refusedByOrigin, by: 1)
        case .tooManyFromAddress: Self.bump(refusedByAddressLimit, by: 1)
        case .rejectedByHook: Self.bump(refusedByHook, by: 1)
        case .hookFailed: Self.bump(upgradeHookErrors, by: 1)
        case .badRequest: break  // in the total only
        }
        return connectionRefused()
    }

    func httpRequestReceived() { Self.bump(httpRequests, by: 1) }

    func compressedConnectionOpened() { Self.bump(compressedConnections, by: 1) }

    func compressionOfferDeclined() { Self.bump(compressionDeclined, by: 1) }

    func compressionConflict() { Self.bump(compressionConflicts, by: 1) }

    func slowInlineHandler() { Self.bump(slowInlineHandlers, by: 1) }

    func messageReceived(bytes: Int) {
        Self.bump(messagesIn, by: 1)
        Self.bump(bytesIn, by: bytes)
    }

    func wrote(bytes: Int, messageDone: Bool) {
        Self.bump(bytesOut, by: bytes)
        if messageDone { Self.bump(messagesOut, by: 1) }
    }

    @inline(__always) @discardableResult
    private static func bump(_ counter: borrowing Atomic<Int>, by delta: Int) -> Int {
        let value = counter.load(ordering: .relaxed) &+ delta
        counter.store(value, ordering: .relaxed)
        return value
    }
}

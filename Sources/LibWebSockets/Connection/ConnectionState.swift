import DequeModule

/// The part of a connection that both the service thread and the user's tasks touch.
/// It lives inside a `Locked` in ``ConnectionCore``; nothing here calls lws.
struct ConnectionState {
    enum Phase {
        /// A client connection whose handshake has not finished.
        case connecting
        case open
        /// A close was asked for; the close frame goes out once queued messages are written.
        case closing
        case closed
    }

    struct SendWaiter {
        let id: UInt64
        let message: WebSocketMessage
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// A reader suspended on another thread than the service thread (the server's own handler
    /// task waits in ``ConnectionCore`` instead, without the lock).
    ///
    /// The continuation sits in a box: `CheckedContinuation` is resilient, so a value holding
    /// it directly is copied and destroyed through runtime value witnesses.
    final class Receiver {
        let continuation: CheckedContinuation<Void, Never>
        init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }
        func resume() { continuation.resume() }
    }

    struct PingWaiter {
        let payload: [UInt8]
        let continuation: CheckedContinuation<Void, any Error>
    }

    var phase = Phase.connecting
    var outbound = Deque<OutboundMessage>()
    var outboundBytes = 0
    var sendWaiters = Deque<SendWaiter>()
    var nextWaiterID: UInt64 = 0
    /// A WRITEABLE callback is already asked for; senders need not ask again.
    var writableRequested = false
    /// Messages taken off the queue whose write failed (the connection then ends).
    var lostInWrite = 0

    var inbound = Deque<InboundEvent>()
    var inboundBytes = 0
    /// The consumer waiting for an event on another thread; woken, never handed the event.
    var receiver: Receiver?
    var receiverID: UInt64 = 0
    /// lws stopped reading for us (`lws_rx_flow_control(wsi, 0)`).
    var readPaused = false
    var resumeRequested = false
    /// Whether pongs are queued as events (the closure style's `onPong`).
    var wantsPongEvents = false

    var pingsToSend = Deque<[UInt8]>()
    var pingWaiters: [PingWaiter] = []

    /// The close frame this side will send once the outbound queue is empty.
    var requestedClose: (code: WebSocketCloseCode, reason: String)?
    /// The close frame the peer sent, if any.
    var peerClose: (code: WebSocketCloseCode, reason: String)?
    /// Why this side ended the connection on its own (1009, 1007); the consumer sees it thrown.
    var failure: LWSError?
    var result: WebSocketCloseResult?
    var closeWaiters: [CheckedContinuation<Void, Never>] = []

    var acceptsSends: Bool { phase == .open }
}

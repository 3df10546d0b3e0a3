/// Where a connection is in its life, and the close handshake: connecting → open → closing →
/// closed.
///
/// Pure: each transition says whether it happened, and the caller does the rest. Illegal
/// transitions (a close asked for twice, a peer close after the end) change nothing.
struct ConnectionLifecycle {
    enum Phase: Equatable {
        /// A client connection whose handshake has not finished.
        case connecting
        case open
        /// A close was asked for or received; the close frame goes out once the queue is empty.
        case closing
        case closed
    }

    private(set) var phase = Phase.connecting
    /// The close frame this side sends once the outbound queue is empty.
    private(set) var requestedClose: CloseFrame?
    /// The close frame the peer sent, if any.
    private(set) var peerClose: CloseFrame?
    /// Why this side ended the connection on its own (1009, 1007); the consumer sees it thrown.
    private(set) var failure: LWSError?
    /// How the connection ended, once it has.
    private(set) var result: WebSocketCloseResult?

    /// Only an open connection takes new messages, pings and close requests.
    var acceptsSends: Bool { phase == .open }

    /// The close frame to write once nothing else is queued, while closing.
    var closeFrameDue: CloseFrame? { phase == .closing ? requestedClose : nil }

    /// The handshake finished. Returns false (and changes nothing) unless connecting.
    mutating func open() -> Bool {
        guard phase == .connecting else { return false }
        phase = .open
        return true
    }

    /// This side asks to close. Returns whether this call started the close: only an open
    /// connection starts one, and only once.
    mutating func requestClose(_ frame: CloseFrame) -> Bool {
        guard phase == .open else { return false }
        phase = .closing
        requestedClose = frame
        return true
    }

    /// This side closes at once because the peer broke a limit or the protocol (1009, 1007).
    /// It overrides a close already asked for; after the end it changes nothing.
    mutating func fail(_ error: LWSError, frame: CloseFrame) {
        guard phase != .closed else { return }
        failure = error
        phase = .closing
        requestedClose = frame
    }

    /// The peer's close frame arrived.
    mutating func peerClosed(_ frame: CloseFrame) {
        guard phase != .closed else { return }
        peerClose = frame
        if phase == .open { phase = .closing }
    }

    /// The connection is gone (lws's CLOSED). Returns how it ended: the peer's code when it
    /// sent one, else ours when this side sent a close frame, else 1006. Only the first call
    /// decides; later ones return the same result.
    /// - Parameters:
    ///   - closeFrameSent: whether this side wrote its close frame.
    ///   - undeliveredMessages: messages queued and never written.
    mutating func end(closeFrameSent: Bool, undeliveredMessages: Int) -> WebSocketCloseResult {
        if let result { return result }
        var result: WebSocketCloseResult
        if let peer = peerClose {
            result = .init(code: peer.code, reason: peer.reason, initiatedLocally: closeFrameSent)
        } else if closeFrameSent, let ours = requestedClose {
            result = .init(code: ours.code, reason: ours.reason, initiatedLocally: true)
        } else {
            result = .init(code: .abnormalClosure, reason: "", initiatedLocally: false)
        }
        result.undeliveredMessages = undeliveredMessages
        phase = .closed
        self.result = result
        return result
    }
}

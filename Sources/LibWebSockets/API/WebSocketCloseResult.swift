/// How a connection ended.
public struct WebSocketCloseResult: Sendable, Hashable {
    /// The close code: the peer's, if it closed or answered our close; ours if the peer never
    /// answered in time; ``WebSocketCloseCode/abnormalClosure`` if the socket simply dropped.
    public var code: WebSocketCloseCode
    /// The close reason that came with `code`.
    public var reason: String
    /// Whether this side started the close.
    public var initiatedLocally: Bool
    /// Messages that were queued by `send` but never written, because the connection ended
    /// first. 0 after a clean close: `close()` writes the queue before the close frame.
    public var undeliveredMessages: Int

    /// - Parameters:
    ///   - code: the close code.
    ///   - reason: the close reason.
    ///   - initiatedLocally: whether this side started the close.
    ///   - undeliveredMessages: queued messages that were never written.
    public init(code: WebSocketCloseCode, reason: String, initiatedLocally: Bool, undeliveredMessages: Int = 0) {
        self.code = code
        self.reason = reason
        self.initiatedLocally = initiatedLocally
        self.undeliveredMessages = undeliveredMessages
    }
}

/// The closure style of serving connections, as websocket-kit users know it.
///
/// Each connection's closures run one at a time, in the order the events arrived, on the
/// context's handler executor (by default its service thread): never as a `Task` per message.
/// A closure that awaits holds up that connection's next event, and lws stops reading from the
/// socket once `maxInboundBuffer` bytes wait, so a slow handler gets backpressure, not a queue
/// that grows without bound. Set them through ``LWSContextBuilder``.
public struct WebSocketCallbacks: Sendable {
    /// Called once, when the connection opens.
    public var onOpen: (@Sendable (WebSocketConnection) async -> Void)?
    /// Called for each text message.
    public var onText: (@Sendable (WebSocketConnection, String) async -> Void)?
    /// Called for each binary message.
    public var onBinary: (@Sendable (WebSocketConnection, [UInt8]) async -> Void)?
    /// Called for each pong, in order with the messages.
    public var onPong: (@Sendable (WebSocketConnection, [UInt8]) async -> Void)?
    /// Called once, after the connection ended, with the close code and reason.
    public var onClose: (@Sendable (WebSocketConnection, WebSocketCloseCode, String) async -> Void)?

    /// No callbacks.
    public init() {}

    var isEmpty: Bool { onOpen == nil && onText == nil && onBinary == nil && onPong == nil && onClose == nil }
}

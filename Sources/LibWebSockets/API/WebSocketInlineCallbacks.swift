/// The inline style: synchronous closures that run straight from lws's callbacks, on the
/// context's service thread, with no task and no hop. The fastest way to serve connections.
///
/// Use it for short, non-blocking work: echo, routing a message into a queue, updating state
/// behind a lock. Send with ``WebSocketConnection/trySend(_:)``, which queues at once or throws
/// ``LWSError/bufferFull`` past `maxBackpressure` (nothing is dropped without the handler
/// knowing), and close with ``WebSocketConnection/startClose(code:reason:)``.
///
/// **A handler that blocks stalls the whole context**: no other connection is read or written
/// until it returns. Every call is timed; one that takes longer than ``slowHandlerWarning`` is
/// logged at warning level and counted in ``LWSContextStats/Snapshot/slowInlineHandlers``. Work
/// that must wait belongs in the async styles (``LWSContextBuilder/onConnection(_:)``).
///
/// Events of a connection arrive in order: ``onOpen``, then messages and pongs as lws reads
/// them, then ``onClose`` once. Limits hold as in the other styles (1009 past
/// `maxMessageSize`, 1007 for invalid UTF-8). Every message goes to the closures, so
/// `connection.messages` yields none and only ends when the connection does. Server
/// connections only; set it with ``LWSContextBuilder/inline(_:)``.
public struct WebSocketInlineCallbacks: Sendable {
    /// Called once, when the connection opens, before any message.
    public var onOpen: (@Sendable (WebSocketConnection) -> Void)?
    /// Called for each text message.
    public var onText: (@Sendable (WebSocketConnection, String) -> Void)?
    /// Called for each binary message.
    public var onBinary: (@Sendable (WebSocketConnection, [UInt8]) -> Void)?
    /// Called for each pong.
    public var onPong: (@Sendable (WebSocketConnection, [UInt8]) -> Void)?
    /// Called once, after the connection ended, with the close code and reason.
    public var onClose: (@Sendable (WebSocketConnection, WebSocketCloseCode, String) -> Void)?
    /// A call that takes longer is logged and counted. Default 10 ms.
    ///
    /// Calls are timed with the kernel's coarse monotonic clock, which costs a few nanoseconds
    /// per call but ticks only every few milliseconds (4 ms on a kernel with `HZ=250`): a call
    /// near the threshold may be judged one tick long or short.
    public var slowHandlerWarning: Duration = .milliseconds(10)

    /// No callbacks.
    public init() {}

    var isEmpty: Bool { onOpen == nil && onText == nil && onBinary == nil && onPong == nil && onClose == nil }
}

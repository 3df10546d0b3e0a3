import Logging

/// A connection served in the inline style (``WebSocketInlineCallbacks``): the closures and the
/// connection they are given. Held by the connection's service-thread state from the 101 until
/// `CLOSED`, then dropped (it refers back to the connection). Service thread only. A class, so
/// that every connection's state grows by one pointer, not by the closures (measured: a struct
/// here cost about 100 bytes per idle connection of the other styles).
final class InlineHandler {
    let callbacks: WebSocketInlineCallbacks
    let connection: WebSocketConnection
    /// ``WebSocketInlineCallbacks/slowHandlerWarning`` in nanoseconds.
    private let slowNanoseconds: UInt64

    init(callbacks: WebSocketInlineCallbacks, connection: WebSocketConnection) {
        self.callbacks = callbacks
        self.connection = connection
        self.slowNanoseconds = CoarseClock.nanoseconds(callbacks.slowHandlerWarning)
    }

    /// Runs one callback, timing it against ``WebSocketInlineCallbacks/slowHandlerWarning`` with
    /// the coarse clock: two reads of `ContinuousClock` and the `Duration` arithmetic were about
    /// 1 % of the server's CPU time per echoed message.
    @inline(__always)
    func run(_ what: StaticString, _ body: () -> Void) {
        let start = CoarseClock.now()
        body()
        let took = CoarseClock.now() &- start
        if took > slowNanoseconds { reportSlow(what, .nanoseconds(took)) }
    }

    @inline(never)
    private func reportSlow(_ what: StaticString, _ took: Duration) {
        let engine = connection.core.engine
        engine.stats.slowInlineHandler()
        engine.logger.warning(
            "an inline handler ran long on the service thread; every connection of the context waited",
            metadata: ["callback": "\(what)", "duration": "\(took)", "path": "\(connection.info.path)"])
    }

    func opened() {
        guard let onOpen = callbacks.onOpen else { return }
        run("onOpen") { onOpen(connection) }
    }

    func received(_ message: WebSocketMessage) {
        switch message {
        case .text(let text):
            guard let onText = callbacks.onText else { return }
            run("onText") { onText(connection, text) }
        case .binary(let bytes):
            guard let onBinary = callbacks.onBinary else { return }
            run("onBinary") { onBinary(connection, bytes) }
        }
    }

    func receivedPong(_ payload: [UInt8]) {
        guard let onPong = callbacks.onPong else { return }
        run("onPong") { onPong(connection, payload) }
    }

    func closed(_ result: WebSocketCloseResult) {
        guard let onClose = callbacks.onClose else { return }
        run("onClose") { onClose(connection, result.code, result.reason) }
    }
}

/// The messages of one connection, as an `AsyncSequence`. Only one task may iterate at a time.
public struct WebSocketInboundMessages: AsyncSequence, Sendable {
    public typealias Element = WebSocketMessage

    let core: ConnectionCore

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(core: core) }

    /// Pulls one message at a time; pulling is what lets lws read more once it had to stop.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let core: ConnectionCore
        /// Whether this iterator runs in the server's handler task; asked once, not per message.
        private var isHandlerTask: Bool?

        init(core: ConnectionCore) { self.core = core }

        nonisolated(nonsending) public mutating func next() async throws -> WebSocketMessage? {
            // Every connection's task spends its idle life suspended in here, so what this
            // frame holds is paid per connection: the decisions are made in a synchronous call,
            // and the loop is inlined. The server's own handler task can never be cancelled
            // (nobody holds it), so it waits without a cancellation handler, whose frames cost
            // about 1 KB per idle connection.
            if isHandlerTask == nil { isHandlerTask = core.isServiceThreadHandlerTask }
            while let event = try await core.nextEvent(isHandlerTask: isHandlerTask == true) {
                if case .message(let message) = event { return message }
            }
            return nil
        }
    }
}

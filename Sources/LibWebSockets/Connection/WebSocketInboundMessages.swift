/// The messages of one connection, as an `AsyncSequence`. Only one task may iterate at a time.
public struct WebSocketInboundMessages: AsyncSequence, Sendable {
    public typealias Element = WebSocketMessage

    let core: ConnectionCore

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(core: core) }

    /// Pulls one message at a time; pulling is what lets lws read more once it had to stop.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let core: ConnectionCore

        public mutating func next() async throws -> WebSocketMessage? {
            while let event = try await core.nextEvent() {
                if case .message(let message) = event { return message }
            }
            return nil
        }
    }
}

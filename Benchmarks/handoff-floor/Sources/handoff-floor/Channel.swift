/// One connection's inbound side, reduced to what the hand-off needs: a parked reader and a
/// one-message slot, touched only by the loop thread (the reader runs there too).
final class Channel: @unchecked Sendable {
    private var waiter: UnsafeContinuation<Void, Never>?
    private var slot: String?
    private(set) var bytesSent = 0
    private var finished = false

    /// Loop thread: hands `message` to the parked reader and wakes it.
    func deliver(_ message: String) {
        slot = message
        let reader = waiter
        waiter = nil
        reader?.resume()
    }

    /// Loop thread: ends the sequence.
    func finish() {
        finished = true
        deliver("")
    }

    nonisolated(nonsending) func send(_ message: String) async { bytesSent &+= message.utf8.count }

    struct Messages: AsyncSequence, AsyncIteratorProtocol {
        let channel: Channel
        func makeAsyncIterator() -> Messages { self }

        nonisolated(nonsending) mutating func next() async -> String? {
            while true {
                if let message = channel.slot {
                    channel.slot = nil
                    return channel.finished ? nil : message
                }
                await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                    channel.waiter = continuation
                }
            }
        }
    }

    var messages: Messages { Messages(channel: self) }
}

#if DEBUG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#endif

/// One connection's inbound side, reduced to what the hand-off needs: a parked reader and a
/// one-message slot, touched only by the loop thread (the reader runs there too).
///
/// Invariant for `@unchecked Sendable` (the reader task captures it): its `var`s are touched only
/// on the thread that created it, the loop thread, which also runs the reader, so they need no
/// lock; that lock-free hand-off is what this benchmark measures. Checked by
/// `assertOnLoopThread()` in debug builds (`swift run --package-path Benchmarks/handoff-floor
/// handoff-floor 1000`); release compiles it out, and there only `main.swift`'s single-thread
/// design guarantees it.
final class Channel: @unchecked Sendable {
    private var waiter: UnsafeContinuation<Void, Never>?
    private var slot: String?
    private(set) var bytesSent = 0
    private var finished = false
    #if DEBUG
    private let loopThread = pthread_self()
    #endif

    /// Debug builds: traps unless called on the thread that created the channel.
    @inline(__always)
    func assertOnLoopThread() {
        #if DEBUG
        precondition(pthread_equal(pthread_self(), loopThread) != 0, "Channel used off its loop thread")
        #endif
    }

    /// Loop thread: hands `message` to the parked reader and wakes it.
    func deliver(_ message: String) {
        assertOnLoopThread()
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

    nonisolated(nonsending) func send(_ message: String) async {
        assertOnLoopThread()
        bytesSent &+= message.utf8.count
    }

    struct Messages: AsyncSequence, AsyncIteratorProtocol {
        let channel: Channel
        func makeAsyncIterator() -> Messages { self }

        nonisolated(nonsending) mutating func next() async -> String? {
            channel.assertOnLoopThread()
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

import Foundation
@testable import LibWebSockets
import Logging
import Testing

extension AllTests {
    /// The inline style: synchronous closures on the service thread (``WebSocketInlineCallbacks``).
    @Suite struct InlineStyleTests {
        /// What an inline server saw, in order.
        final class Journal: Sendable {
            let events = Locked<[String]>([])
            let bufferFull = Locked(0)
            func add(_ event: String) { events.withLock { $0.append(event) } }
            var all: [String] { events.withLock { $0 } }
        }

        /// An inline echo server that writes every event into `journal`.
        static func server(
            journal: Journal, _ configure: (LWSContextBuilder) -> LWSContextBuilder = { $0 },
            _ adjust: (inout WebSocketInlineCallbacks) -> Void = { _ in }
        ) throws -> LWSContext {
            var callbacks = WebSocketInlineCallbacks()
            callbacks.onOpen = { _ in journal.add("open") }
            callbacks.onText = { connection, text in
                do { try connection.trySend(.text(text)) } catch { journal.bufferFull.withLock { $0 += 1 } }
                if text == "bye" { try? connection.startClose(code: .normalClosure, reason: "bye") }
            }
            callbacks.onBinary = { connection, bytes in
                do { try connection.trySend(.binary(bytes)) } catch { journal.bufferFull.withLock { $0 += 1 } }
            }
            callbacks.onPong = { _, payload in journal.add("pong \(payload)") }
            callbacks.onClose = { _, code, reason in journal.add("close \(code.rawValue) \(reason)") }
            adjust(&callbacks)
            return try configure(LWSContextBuilder.testServer()).inline(callbacks).build()
        }

        @Test func echoesInOrderWithOpenFirstAndCloseLast() async throws {
            let journal = Journal()
            let server = try Self.server(journal: journal)
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: server.url)
                try await expectNumberedEchoes(on: connection, count: 500)
                let bytes = incompressibleBytes(100_000)
                try await connection.send(binary: bytes)
                var iterator = connection.messages.makeAsyncIterator()
                #expect(try await iterator.next() == .binary(bytes))
                try await connection.close()
            }
            for _ in 0 ..< 100 where journal.all.last?.hasPrefix("close") != true { try await Task.sleep(for: .milliseconds(10)) }
            #expect(journal.all == ["open", "close 1000 "])
            #expect(server.stats.messagesIn == 501 && server.stats.messagesOut == 501)
            #expect(server.stats.slowInlineHandlers == 0)
            await client.shutdown()
            await server.shutdown()
        }

        @Test func trySendReportsAFullBufferAtOnce() async throws {
            let journal = Journal()
            // Each message is answered three times; two answers (1200 bytes) fill a 1000-byte
            // queue before lws can take any, so the third send must fail, and say so.
            let server = try Self.server(journal: journal, { $0.maxBackpressure(1000) }) { callbacks in
                callbacks.onBinary = { connection, bytes in
                    for _ in 0 ..< 3 {
                        do { try connection.trySend(.binary(bytes)) } catch LWSError.bufferFull {
                            journal.bufferFull.withLock { $0 += 1 }
                        } catch {}
                    }
                }
            }
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: server.url)
                try await connection.send(binary: [UInt8](repeating: 7, count: 600))
                var iterator = connection.messages.makeAsyncIterator()
                for _ in 0 ..< 2 { #expect(try await iterator.next() == .binary([UInt8](repeating: 7, count: 600))) }
            }
            #expect(journal.bufferFull.withLock { $0 } == 1)
            await client.shutdown()
            await server.shutdown()
        }

        @Test func startCloseFromAHandlerSendsTheCloseAfterQueuedMessages() async throws {
            let journal = Journal()
            let server = try Self.server(journal: journal)
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: server.url)
                try await connection.send(text: "bye")
                var received: [WebSocketMessage] = []
                for try await message in connection.messages { received.append(message) }
                let result = await connection.closed()
                #expect(received == [.text("bye")], "the echo queued in the same call goes out before the close")
                #expect(result.code == .normalClosure && result.reason == "bye")
            }
            for _ in 0 ..< 100 where journal.all.last?.hasPrefix("close") != true { try await Task.sleep(for: .milliseconds(10)) }
            #expect(journal.all == ["open", "close 1000 bye"])
            await client.shutdown()
            await server.shutdown()
        }

        @Test func limitsHoldAndOnCloseSaysWhy() async throws {
            let journal = Journal()
            let server = try Self.server(journal: journal, { $0.maxMessageSize(100) })
            try await withTimeout(10) {
                try await onAThread {
                    let raw = try RawWebSocketClient(port: server.port!)
                    raw.send(opcode: 10, payload: [1, 2])  // an unsolicited pong
                    raw.send(opcode: 2, payload: [UInt8](repeating: 0, count: 101))
                    try check(raw.readCloseCode(), 1009)
                }
            }
            for _ in 0 ..< 100 where journal.all.last?.hasPrefix("close") != true { try await Task.sleep(for: .milliseconds(10)) }
            #expect(journal.all == ["open", "pong [1, 2]", "close 1009 message too big"])
            await server.shutdown()
        }

        @Test func aHandlerThatRunsLongIsLoggedAndCounted() async throws {
            let journal = Journal()
            let logs = CapturingLogHandler()
            let server = try Self.server(journal: journal, { $0.logger(Logger(label: "inline-test") { _ in logs }) }) { callbacks in
                // Above one tick of the coarse clock the calls are timed with (4 ms here, 10 ms
                // at HZ=100), so a fast call can never be judged slow.
                callbacks.slowHandlerWarning = .milliseconds(15)
                callbacks.onText = { connection, text in
                    if text == "slow" { usleep(60_000) }  // 60 ms of blocking: what a handler must not do
                    try? connection.trySend(.text(text))
                }
            }
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: server.url)
                for text in ["fast", "slow", "fast"] { try await connection.send(text: text) }
                var iterator = connection.messages.makeAsyncIterator()
                for text in ["fast", "slow", "fast"] { #expect(try await iterator.next() == .text(text)) }
            }
            #expect(server.stats.slowInlineHandlers == 1)
            #expect(logs.captured.contains { $0.0 == .warning && $0.1.contains("inline handler ran long") })
            await client.shutdown()
            await server.shutdown()
        }

        @Test func oneHandlerStyleAtATime() {
            func error(_ builder: LWSContextBuilder) -> String {
                do {
                    _ = try builder.build()
                    return "built"
                } catch {
                    return "\(error)"
                }
            }
            let inline = WebSocketInlineCallbacks()
            #expect(error(LWSContextBuilder.testServer().echo().inline(inline)).contains("one handler style"))
            #expect(error(LWSContextBuilder.testServer().inline(inline).authorize { _ in true }).contains("authorize"))
            var zero = WebSocketInlineCallbacks()
            zero.slowHandlerWarning = .zero
            #expect(error(LWSContextBuilder.testServer().inline(zero)).contains("slowHandlerWarning"))
        }
    }
}

@testable import LibWebSockets
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension AllTests {
    /// A peer that vanishes with a TCP reset (SO_LINGER {1, 0}, then close): in the middle of a
    /// message, and in the middle of the close handshake, either side's.
    @Suite struct PeerVanishesTests {
        @Test func resetInTheMiddleOfAMessage() async throws {
            let ended = EndedByPath([:])
            let server = try recordingEchoServer(.testServer().closeTimeout(.seconds(10)), ended: ended)
            let client = try LWSContextBuilder.testClient().build()
            let port = server.port!
            try await withTimeout(20) {
                let bystander = try await client.connect(to: server.url)
                try await expectEcho(bystander, "before")
                try await onAThread {
                    let raw = try RawWebSocketClient(port: port, path: "/vanish")
                    // A 64 KiB frame's header and its first 30 KiB; the rest never comes.
                    raw.send(opcode: 2, payload: [UInt8](repeating: 7, count: 30 << 10), lengthOverride: 64 << 10)
                    usleep(300_000)  // lws reads the part that came
                    raw.socket.resetOnClose()
                }  // the raw client is released here: its close sends the reset
                let start = ContinuousClock.now
                let end = try #require(try await waitForEnd(ended, "/vanish"), "the server never noticed the reset")
                let noticed = ContinuousClock.now - start
                // lws sees the reset on its next read: at once, not at the idle timeout (60 s).
                #expect(noticed < .seconds(5), "noticed after \(noticed)")
                print("reset mid-message: noticed after \(noticed)")
                #expect(end.messages == 0, "half a message was delivered")
                #expect(end.result == WebSocketCloseResult(code: .abnormalClosure, reason: "", initiatedLocally: false))
                try await expectEcho(bystander, "after")
                #expect(server.stats.openConnections == 1)
                #expect(server.stats.messagesIn == 2)
                try await expectFreshEcho(client, server, "newcomer")
            }
            await client.shutdown()
            await server.shutdown()
        }

        /// The server closes; the peer reads the close frame and resets instead of answering.
        @Test func resetInsteadOfAnsweringTheServersClose() async throws {
            let closed = Locked<(result: WebSocketCloseResult, took: Duration)?>(nil)
            let server = try LWSContextBuilder.testServer().closeTimeout(.seconds(10))
                .onConnection { connection in
                    if connection.info.path == "/closing" {
                        let start = ContinuousClock.now
                        let result = try await connection.close(code: .goingAway, reason: "bye")
                        closed.withLock { $0 = (result, ContinuousClock.now - start) }
                        return
                    }
                    for try await message in connection.messages { try await connection.send(message) }
                }.build()
            let client = try LWSContextBuilder.testClient().build()
            let port = server.port!
            try await withTimeout(20) {
                let bystander = try await client.connect(to: server.url)
                let sawClose = try await onAThread {
                    let raw = try RawWebSocketClient(port: port, path: "/closing")
                    let code = raw.readCloseCode()
                    raw.socket.resetOnClose()
                    return code
                }
                #expect(sawClose == 1001)
                for _ in 0 ..< 500 where closed.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
                let (result, took) = try #require(closed.withLock { $0 }, "close() never returned")
                // close() returns when the socket is gone, not after closeTimeout (10 s); the
                // result is the close this side sent, since the peer never answered.
                print("reset instead of a close answer: close() returned after \(took)")
                #expect(took < .seconds(5), "close() took \(took)")
                #expect(result == WebSocketCloseResult(code: .goingAway, reason: "bye", initiatedLocally: true))
                try await expectEcho(bystander, "still served")
                #expect(server.stats.openConnections == 1)
                try await expectFreshEcho(client, server, "newcomer")
            }
            await client.shutdown()
            await server.shutdown()
        }

        /// The peer sends its close frame while the server still has messages queued for it
        /// (the peer stopped reading, so they and the close echo cannot go out), then resets.
        @Test func resetAfterClosingWhileTheServerStillSends() async throws {
            struct Seen: Sendable {
                var result: WebSocketCloseResult?
                var sendError: (any Error)?
                var at: ContinuousClock.Instant?
            }
            let seen = Locked(Seen())
            let server = try LWSContextBuilder.testServer().maxBackpressure(64 << 10).closeTimeout(.seconds(10))
                .onConnection { connection in
                    guard connection.info.path == "/busy" else {
                        for try await message in connection.messages { try await connection.send(message) }
                        return
                    }
                    let sending = Task {
                        do {
                            while true { try await connection.send(binary: [UInt8](repeating: 5, count: 16 << 10)) }
                        } catch {
                            seen.withLock { $0.sendError = error }
                        }
                    }
                    let result = await connection.closed()
                    await sending.value
                    let now = ContinuousClock.now
                    seen.withLock {
                        $0.result = result
                        $0.at = now
                    }
                }.build()
            let client = try LWSContextBuilder.testClient().build()
            let port = server.port!
            try await withTimeout(20) {
                let bystander = try await client.connect(to: server.url)
                let resetAt = try await onAThread {
                    let raw = try RawWebSocketClient(port: port, path: "/busy")  // never reads
                    usleep(1_000_000)  // the kernel's buffers and the server's queue fill up
                    raw.send(opcode: 8, payload: [0x03, 0xE9] + Array("away".utf8))  // 1001
                    usleep(300_000)  // lws reads it; its answer waits behind the queue
                    raw.socket.resetOnClose()
                    return ContinuousClock.now
                }
                for _ in 0 ..< 500 where seen.withLock({ $0.at }) == nil { try await Task.sleep(for: .milliseconds(10)) }
                let final = seen.withLock { $0 }
                let result = try #require(final.result, "the server never noticed the reset")
                let noticed = try #require(final.at) - resetAt
                print("reset after the peer's close: noticed after \(noticed), \(result)")
                #expect(noticed < .seconds(5), "noticed after \(noticed)")
                // The peer's close arrived, so it is the result; what was queued is counted.
                #expect(result.code == .goingAway && result.reason == "away" && !result.initiatedLocally, "\(result)")
                #expect(result.undeliveredMessages >= 1)
                #expect(final.sendError as? LWSError == .connectionClosed)
                try await expectEcho(bystander, "still served")
                #expect(server.stats.openConnections == 1)
                try await expectFreshEcho(client, server, "newcomer")
            }
            await client.shutdown()
            await server.shutdown()
        }
    }
}

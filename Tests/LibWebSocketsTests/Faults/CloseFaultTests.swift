@testable import LibWebSockets
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension AllTests {
    /// Sending after a close, closing twice, and what happens to sends still pending when a
    /// connection ends: each gives its documented result, and nothing is lost without a count.
    @Suite struct CloseFaultTests {
        /// On both sides: after `close()`, every later send, ping and close gives the documented
        /// answer, and the result never changes.
        @Test func sendingAfterCloseAndClosingTwice() async throws {
            let serverSide = Locked<[String]>([])
            let server = try LWSContextBuilder.testServer()
                .onConnection { connection in
                    guard connection.info.path == "/server-closes" else {
                        for try await message in connection.messages { try await connection.send(message) }
                        return
                    }
                    var seen: [String] = []
                    let first = try await connection.close(code: .init(rawValue: 4000), reason: "once")
                    let second = try await connection.close(code: .init(rawValue: 4001), reason: "twice")
                    try connection.startClose(code: .init(rawValue: 4002), reason: "thrice")
                    seen.append("same result: \(first == second && connection.closeResult == first)")
                    do { try await connection.send(text: "late") } catch { seen.append("send: \(error)") }
                    do { try connection.trySend(.text("late")) } catch { seen.append("trySend: \(error)") }
                    do { try await connection.ping() } catch { seen.append("ping: \(error)") }
                    serverSide.withLock { $0 = seen }
                }.build()
            let client = try LWSContextBuilder.testClient().closeTimeout(.seconds(2)).build()
            try await withTimeout(20) {
                let bystander = try await client.connect(to: server.url)
                let connection = try await client.connect(to: server.url)
                // Two closes at once and one after: one close handshake, one result for all.
                async let racing = connection.close(code: .init(rawValue: 4010), reason: "first")
                let other = try await connection.close(code: .init(rawValue: 4011), reason: "second")
                let first = try await racing
                #expect(first == other)
                #expect([4010, 4011].contains(first.code.rawValue) && first.initiatedLocally && first.undeliveredMessages == 0,
                        "\(first)")
                #expect(try await connection.close() == first)
                try connection.startClose()  // does nothing
                #expect(connection.closeResult == first)
                await #expect(throws: LWSError.connectionClosed) { try await connection.send(text: "late") }
                #expect(throws: LWSError.connectionClosed) { try connection.trySend(.binary([1])) }
                await #expect(throws: LWSError.connectionClosed) { try await connection.ping() }
                #expect(await connection.closed() == first)
                // Invalid arguments are still checked first.
                await #expect(throws: LWSError.invalidCloseCode(1005)) { try await connection.close(code: .init(rawValue: 1005)) }

                // The server side of the same rules.
                let closedByServer = try await client.connect(to: server.url + "server-closes")
                let theirs = await closedByServer.closed()
                #expect(theirs.code.rawValue == 4000 && theirs.reason == "once" && !theirs.initiatedLocally)
                for _ in 0 ..< 200 where serverSide.withLock({ $0 }).isEmpty { try await Task.sleep(for: .milliseconds(10)) }
                #expect(serverSide.withLock { $0 } == [
                    "same result: true",
                    "send: \(LWSError.connectionClosed)", "trySend: \(LWSError.connectionClosed)", "ping: \(LWSError.connectionClosed)",
                ])
                try await expectEcho(bystander, "still served")
            }
            await client.shutdown()
            await server.shutdown()
        }

        /// What a server handler sees when its peer stops reading and the connection ends while
        /// sends are pending: the waiting `send` throws, and every message `send` accepted is
        /// either written to lws (`stats.messagesOut`) or counted in `undeliveredMessages`.
        @Test(arguments: ["closeTimeout", "reset"])
        func pendingSendsAreReportedUndelivered(ending: String) async throws {
            struct Seen: Sendable {
                var accepted = 0
                var waitingSendError: (any Error)?
                var result: WebSocketCloseResult?
                var closeTook: Duration?
            }
            let seen = Locked(Seen())
            let maxBackpressure = 64 << 10, size = 16 << 10
            let server = try LWSContextBuilder.testServer().maxBackpressure(maxBackpressure).closeTimeout(.seconds(1))
                .onConnection { connection in
                    guard connection.info.path == "/stalled" else {
                        for try await message in connection.messages { try await connection.send(message) }
                        return
                    }
                    let sending = Task {
                        do {
                            while true {
                                try await connection.send(binary: [UInt8](repeating: 3, count: size))
                                seen.withLock { $0.accepted += 1 }
                            }
                        } catch {
                            seen.withLock { $0.waitingSendError = error }
                        }
                    }
                    // Until the kernel's buffers and the queue are full and a send waits.
                    var last = -1
                    while true {
                        try await Task.sleep(for: .milliseconds(300))
                        let now = seen.withLock { $0.accepted }
                        if now == last { break }
                        last = now
                    }
                    if ending == "closeTimeout" {
                        let start = ContinuousClock.now
                        _ = try await connection.close(code: .goingAway, reason: "giving up")
                        seen.withLock { $0.closeTook = ContinuousClock.now - start }
                    }
                    let result = await connection.closed()
                    await sending.value
                    seen.withLock { $0.result = result }
                }.build()
            let client = try LWSContextBuilder.testClient().build()
            let port = server.port!
            try await withTimeout(30) {
                let bystander = try await client.connect(to: server.url)
                try await onAThread {
                    let raw = try RawWebSocketClient(port: port, path: "/stalled")  // never reads
                    if ending == "reset" {
                        usleep(2_000_000)  // the server's sender fills everything and waits
                        raw.socket.resetOnClose()
                    } else {
                        usleep(5_000_000)  // past the server's close and its closeTimeout
                    }
                }
                for _ in 0 ..< 1000 where seen.withLock({ $0.result }) == nil { try await Task.sleep(for: .milliseconds(10)) }
                let final = seen.withLock { $0 }
                let result = try #require(final.result, "the stalled connection never ended")
                #expect(final.waitingSendError as? LWSError == .connectionClosed)
                #expect(result.undeliveredMessages >= 1)
                // Nothing silently lost: every send that returned was written to lws or is
                // counted undelivered. The send that threw is counted too when it was still
                // waiting as the connection ended (`OutboundQueue.removeAll`); when the end first
                // admitted it to the queue, it returned and the next send threw at once, uncounted.
                // Only this connection sends before the bystander's echo below.
                let accounted = server.stats.messagesOut + result.undeliveredMessages
                #expect(accounted == final.accepted || accounted == final.accepted + 1,
                        "accepted \(final.accepted), written \(server.stats.messagesOut), undelivered \(result.undeliveredMessages)")
                print("pending sends at \(ending): accepted \(final.accepted), written \(server.stats.messagesOut), \(result)")
                if ending == "closeTimeout" {
                    // The close frame could not go out behind the stuck queue: dropped at closeTimeout.
                    #expect(result == WebSocketCloseResult(code: .abnormalClosure, reason: "", initiatedLocally: false,
                                                           undeliveredMessages: result.undeliveredMessages))
                    let took = try #require(final.closeTook)
                    #expect(took >= .milliseconds(900) && took < .seconds(4), "close() took \(took)")
                } else {
                    #expect(result.code == .abnormalClosure && !result.initiatedLocally)
                }
                try await expectEcho(bystander, "still served")
                try await expectFreshEcho(client, server, "newcomer")
            }
            await client.shutdown()
            await server.shutdown()
        }
    }
}

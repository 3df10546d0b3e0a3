@testable import LibWebSockets
import Testing

extension AllTests {
    @Suite struct ConnectionLimitTests {
        @Test func maxConnectionsIsAPromiseNotAStall() async throws {
            let server = try LWSContextBuilder.testServer().maxConnections(10).echo().build()
            let client = try LWSContextBuilder.testClient().build()
            let url = server.url
            try await withTimeout(30) {
                let outcomes = try await withThrowingTaskGroup(of: (WebSocketConnection?, LWSError?, Duration).self) { group in
                    for _ in 0 ..< 25 {
                        group.addTask {
                            let start = ContinuousClock.now
                            do {
                                let connection = try await client.connect(to: url)
                                return (connection, nil, ContinuousClock.now - start)
                            } catch let error as LWSError {
                                return (nil, error, ContinuousClock.now - start)
                            }
                        }
                    }
                    var all: [(WebSocketConnection?, LWSError?, Duration)] = []
                    for try await outcome in group { all.append(outcome) }
                    return all
                }
                let served = outcomes.compactMap(\.0)
                let refused = outcomes.compactMap(\.1)
                #expect(served.count == 10)
                #expect(refused.count == 15)
                #expect(refused.allSatisfy { $0 == .handshakeRejected(status: 503) }, "\(refused)")
                let slowest = outcomes.map(\.2).max()!
                #expect(slowest < .milliseconds(100), "slowest answer took \(slowest)")
                #expect(server.stats.refusedConnections == 15)
                #expect(server.stats.openConnections == 10)

                // Service continues for the ten.
                for connection in served {
                    try await connection.send(text: "still served")
                    #expect(try await connection.nextMessage() == .text("still served"))
                }
                // Five leave; five new ones get in; the sixth does not.
                for connection in served.prefix(5) { try await connection.close() }
                for _ in 0 ..< 100 where server.stats.openConnections > 5 { try await Task.sleep(for: .milliseconds(10)) }
                var newcomers: [WebSocketConnection] = []
                for _ in 0 ..< 5 { newcomers.append(try await client.connect(to: url)) }
                await #expect(throws: LWSError.handshakeRejected(status: 503)) { try await client.connect(to: url) }
                #expect(server.stats.openConnections == 10)
                #expect(server.stats.refusedConnections == 16)
                withExtendedLifetime((served, newcomers)) {}
            }
            await client.shutdown()
            await server.shutdown()
        }

        @Test func refusalIsAPlainHTTP503WithRetryAfter() async throws {
            let server = try LWSContextBuilder.testServer().maxConnections(1).echo().build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let holder = try await client.connect(to: server.url)
                let socket = try RawSocket(port: server.port!)
                socket.write(
                    "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                // Read as a strict HTTP/1.1 client would (Python's websockets rejects HTTP/1.0).
                let head = socket.readHTTPHead()
                #expect(head.hasSuffix("\r\n\r\n"))
                var lines = head.split(separator: "\r\n").map(String.init)
                #expect(lines.removeFirst() == "HTTP/1.1 503 Service Unavailable", "\(head)")
                var fields: [String: String] = [:]
                for line in lines {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    #expect(parts.count == 2, "not a header line: \(line)")
                    fields[parts[0].lowercased()] = parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""
                }
                #expect(fields["retry-after"] == "1")
                #expect(fields["connection"] == "close")
                let body = "too many connections, retry later\n"
                #expect(fields["content-length"] == "\(body.utf8.count)")
                #expect(socket.read(body.utf8.count) == Array(body.utf8))
                #expect(socket.peerClosed())
                withExtendedLifetime(holder) {}
            }
            await client.shutdown()
            await server.shutdown()
        }

        @Test func stoppingServerRefusesNewcomers() async throws {
            let server = try LWSContextBuilder.testServer().shutdownGracePeriod(.seconds(3)).echo().build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let silent = try RawWebSocketClient(port: server.port!)  // never answers the 1001 close
                let stopping = Task { await server.shutdown() }
                try await Task.sleep(for: .milliseconds(200))
                #expect(!server.isShutDown)
                await #expect(throws: LWSError.handshakeRejected(status: 503)) { try await client.connect(to: server.url) }
                await stopping.value
                #expect(silent.readCloseCode() == 1001)
            }
            await client.shutdown()
        }
    }
}

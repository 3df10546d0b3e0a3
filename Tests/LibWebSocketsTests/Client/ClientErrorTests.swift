@testable import LibWebSockets
import Testing

extension AllTests {
    @Suite struct ClientErrorTests {
        @Test func connectionRefused() async throws {
            let client = try LWSContextBuilder.testClient().build()
            let port = unusedPort()
            await #expect(throws: LWSError.connectionRefused) {
                try await withTimeout(10) { try await client.connect(to: "ws://127.0.0.1:\(port)/") }
            }
            #expect(client.stats.openConnections == 0)
            await client.shutdown()
        }

        @Test func dnsFailure() async throws {
            let client = try LWSContextBuilder.testClient().build()
            await #expect(throws: LWSError.dnsFailure("no-such-host.invalid")) {
                try await withTimeout(30) { try await client.connect(to: "ws://no-such-host.invalid/") }
            }
            await client.shutdown()
        }

        @Test func namesResolveOffTheServiceThread() async throws {
            let server = try LWSContextBuilder.testServer().echo().build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: "ws://localhost:\(server.port!)/named")
                try await connection.send(text: "by name")
                #expect(try await connection.nextMessage() == .text("by name"))
            }
            await client.shutdown()
            await server.shutdown()
        }

        @Test func handshakeRejectedCarriesStatus() async throws {
            let listener = RawListener(reply: "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            let client = try LWSContextBuilder.testClient().build()
            do {
                _ = try await withTimeout(10) { try await client.connect(to: "ws://127.0.0.1:\(listener.port)/") }
                Issue.record("connect succeeded")
            } catch let error as LWSError {
                #expect(error == .handshakeRejected(status: 403), "\(error)")
                #expect(error.httpStatus == 403)
            }
            await client.shutdown()
        }

        @Test func timeoutWhenServerNeverAnswers() async throws {
            let listener = RawListener(reply: nil)
            let client = try LWSContextBuilder.testClient().connectTimeout(.seconds(1)).build()
            let start = ContinuousClock.now
            await #expect(throws: LWSError.timeout) {
                try await withTimeout(10) { try await client.connect(to: "ws://127.0.0.1:\(listener.port)/") }
            }
            #expect(ContinuousClock.now - start < .seconds(4))
            #expect(client.stats.openConnections == 0)
            await client.shutdown()
        }

        @Test func tooManyConnectionsIsImmediate() async throws {
            let server = try LWSContextBuilder.testServer().echo().build()
            let client = try LWSContextBuilder.testClient().maxConnections(2).build()
            try await withTimeout(10) {
                let first = try await client.connect(to: server.url)
                let second = try await client.connect(to: server.url)
                let start = ContinuousClock.now
                await #expect(throws: LWSError.tooManyConnections) { try await client.connect(to: server.url) }
                #expect(ContinuousClock.now - start < .milliseconds(100))
                try await first.close()
                let third = try await client.connect(to: server.url)  // a slot is free again
                withExtendedLifetime((second, third)) {}
            }
            #expect(client.stats.refusedConnections == 1)
            await client.shutdown()
            await server.shutdown()
        }

        @Test func badURLsThrowBeforeConnecting() async throws {
            let client = try LWSContextBuilder.testClient().build()
            await #expect(throws: LWSError.invalidURL("127.0.0.1:80")) { try await client.connect(to: "127.0.0.1:80") }
            await #expect(throws: LWSError.unsupportedScheme("http")) { try await client.connect(to: "http://127.0.0.1/") }
            await #expect(throws: LWSError.invalidURL("ws://127.0.0.1:99999/")) { try await client.connect(to: "ws://127.0.0.1:99999/") }
            await client.shutdown()
        }

        @Test func urlParsing() throws {
            let plain = try WebSocketURL("ws://example.com/chat?room=1#x")
            #expect(plain.host == "example.com" && plain.port == 80 && plain.path == "/chat?room=1")
            #expect(plain.hostHeader == "example.com")
            let v6 = try WebSocketURL("ws://[::1]:8080")
            #expect(v6.host == "::1" && v6.port == 8080 && v6.path == "/")
            #expect(v6.hostHeader == "[::1]:8080")
            let query = try WebSocketURL("WS://h:1?q")
            #expect(query.path == "/?q" && query.port == 1)
        }
    }
}

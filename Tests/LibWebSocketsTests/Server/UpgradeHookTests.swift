#if canImport(Glibc)
import Glibc
#endif
@testable import LibWebSockets
import Logging
import Testing

extension AllTests {
    /// Deciding upgrades before the 101: the hook, the origin allow-list, the per-address cap,
    /// trusted proxies, and the async check after the 101. Over 127.0.0.1 against real lws.
    @Suite struct UpgradeHookTests {
        /// Sends a raw upgrade request and returns the response head and the socket.
        private func rawUpgrade(port: Int, extraHeaders: String = "") throws -> (head: String, socket: RawSocket) {
            let socket = try RawSocket(port: port)
            socket.write(
                "GET /raw HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(extraHeaders)\r\n")
            return (socket.readHTTPHead(), socket)
        }

        @Test func hookSeesTheRequestAndHandsAValueToTheConnection() async throws {
            let seen = Locked<WebSocketUpgradeRequest?>(nil)
            let server = try LWSContextBuilder.testServer().subprotocols(["chat"])
                .onUpgrade { request in
                    seen.withLock { $0 = request }
                    return .accept(headers: [("X-Session", "s-1")], userState: "user-42")
                }
                .onConnection { connection in
                    try await connection.send(text: (connection.userState as? String) ?? "no state")
                }.build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(
                    to: server.url + "room?id=7", headers: ["Authorization": "Bearer t0k3n"], subprotocols: ["other", "chat"],
                    origin: "https://app.example")
                #expect(try await connection.nextMessage() == .text("user-42"))
                let request = try #require(seen.withLock { $0 })
                #expect(request.path == "/room?id=7")
                #expect(request.headers["authorization"] == "Bearer t0k3n")
                #expect(request.origin == "https://app.example")
                #expect(request.remoteAddress == "127.0.0.1" && request.peerAddress == "127.0.0.1")
                #expect(request.requestedSubprotocols == ["other", "chat"])
                // The extra header is in the 101.
                let (head, _) = try rawUpgrade(port: server.port!)
                #expect(head.hasPrefix("HTTP/1.1 101"), "\(head)")
                #expect(head.lowercased().contains("x-session: s-1"), "\(head)")
            }
            await client.shutdown()
            await server.shutdown()
        }

        @Test func hookRejectionReachesTheClientWithItsStatus() async throws {
            let server = try LWSContextBuilder.testServer()
                .onUpgrade { request in
                    request.headers["authorization"] == "Bearer good"
                        ? .accept : .reject(status: 401, headers: [("WWW-Authenticate", "Bearer")], body: "who are you?\n")
                }
                .echo().build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                await #expect(throws: LWSError.handshakeRejected(status: 401)) { try await client.connect(to: server.url) }
                let (head, socket) = try rawUpgrade(port: server.port!)
                #expect(head.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"), "\(head)")
                let lower = head.lowercased()
                #expect(lower.contains("www-authenticate: bearer") && lower.contains("connection: close"))
                #expect(lower.contains("content-length: 13"))
                #expect(socket.read(13) == Array("who are you?\n".utf8))
                #expect(socket.peerClosed())
                let good = try await client.connect(to: server.url, headers: ["Authorization": "Bearer good"])
                try await good.send(text: "in")
                #expect(try await good.nextMessage() == .text("in"))
            }
            #expect(server.stats.refusedByHook == 2)
            #expect(server.stats.refusedConnections == 2)
            await client.shutdown()
            await server.shutdown()
        }

        @Test func hookThatThrowsGets500AndTheServerKeepsServing() async throws {
            struct Boom: Error {}
            let server = try LWSContextBuilder.testServer()
                .onUpgrade { request in
                    if request.path.hasPrefix("/boom") { throw Boom() }
                    if request.path.hasPrefix("/bad") { return .reject(status: 200) }  // not a refusal status
                    // Headers that would not fit lws's buffer, on either answer.
                    let big = [("X-Big", String(repeating: "a", count: 3000))]
                    if request.path.hasPrefix("/hugeaccept") { return .accept(headers: big) }
                    if request.path.hasPrefix("/huge") { return .reject(status: 401, headers: big) }
                    return .accept
                }
                .echo().build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                await #expect(throws: LWSError.handshakeRejected(status: 500)) { try await client.connect(to: server.url + "boom") }
                await #expect(throws: LWSError.handshakeRejected(status: 500)) { try await client.connect(to: server.url + "bad") }
                await #expect(throws: LWSError.handshakeRejected(status: 500)) { try await client.connect(to: server.url + "huge") }
                await #expect(throws: LWSError.handshakeRejected(status: 500)) {
                    try await client.connect(to: server.url + "hugeaccept")
                }
                let fine = try await client.connect(to: server.url + "fine")
                try await fine.send(text: "still here")
                #expect(try await fine.nextMessage() == .text("still here"))
            }
            #expect(server.stats.upgradeHookErrors == 4)
            await client.shutdown()
            await server.shutdown()
        }

        @Test func originAllowListRefusesOtherSitesWith403() async throws {
            let server = try LWSContextBuilder.testServer().allowedOrigins(["https://app.example"]).echo().build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                await #expect(throws: LWSError.handshakeRejected(status: 403)) {
                    try await client.connect(to: server.url, origin: "https://evil.example")
                }
                _ = try await client.connect(to: server.url, origin: "https://app.example")
                // No Origin at all: not a browser page, allowed.
                let (head, _) = try rawUpgrade(port: server.port!)
                #expect(head.hasPrefix("HTTP/1.1 101"), "\(head)")
            }
            #expect(server.stats.refusedByOrigin == 1)
            await client.shutdown()
            await server.shutdown()
        }

        @Test func perAddressCapRefusesWith429AndFreesOnClose() async throws {
            let server = try LWSContextBuilder.testServer().maxConnectionsPerAddress(2).echo().build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let first = try await client.connect(to: server.url)
                let second = try await client.connect(to: server.url)
                await #expect(throws: LWSError.handshakeRejected(status: 429)) { try await client.connect(to: server.url) }
                try await first.close()
                for _ in 0 ..< 100 where server.stats.openConnections > 1 { try await Task.sleep(for: .milliseconds(10)) }
                let third = try await client.connect(to: server.url)
                withExtendedLifetime((second, third)) {}
            }
            #expect(server.stats.refusedByAddressLimit == 1)
            await client.shutdown()
            await server.shutdown()
        }

        @Test func forwardedForIsBelievedOnlyFromTrustedProxies() async throws {
            let addresses = Locked<[String]>([])
            func server(trusting proxies: [String]) throws -> LWSContext {
                try LWSContextBuilder.testServer().trustedProxies(proxies)
                    .onConnection { connection in addresses.withLock { $0.append(connection.info.remoteAddress) } }
                    .build()
            }
            let trusting = try server(trusting: ["127.0.0.1"])
            let untrusting = try server(trusting: [])
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let forwarded = ["X-Forwarded-For": "198.51.100.9, 203.0.113.7"]
                _ = try await client.connect(to: trusting.url, headers: forwarded)
                for _ in 0 ..< 100 where addresses.withLock({ $0.count }) < 1 { try await Task.sleep(for: .milliseconds(10)) }
                _ = try await client.connect(to: untrusting.url, headers: forwarded)
                for _ in 0 ..< 100 where addresses.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(10)) }
            }
            // The right-most address no trusted proxy vouches for; the untrusting server ignores the header.
            #expect(addresses.withLock { $0 } == ["203.0.113.7", "127.0.0.1"])
            await client.shutdown()
            await trusting.shutdown()
            await untrusting.shutdown()
        }

        @Test func asyncAuthorizeSayingNoClosesWith1008BeforeAnyMessage() async throws {
            let handled = Locked(0)
            let server = try LWSContextBuilder.testServer()
                .authorize { connection in
                    try await Task.sleep(for: .milliseconds(20))  // e.g. a token lookup
                    return connection.info.path == "/ok"
                }
                .onConnection { connection in
                    for try await message in connection.messages {
                        handled.withLock { $0 += 1 }
                        try await connection.send(message)
                    }
                }.build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let refused = try await client.connect(to: server.url + "no")
                try? await refused.send(text: "sneaky")
                #expect(try await refused.nextMessage() == nil)
                #expect(await refused.closed().code == .policyViolation)
                let allowed = try await client.connect(to: server.url + "ok")
                try await allowed.send(text: "hello")
                #expect(try await allowed.nextMessage() == .text("hello"))
            }
            #expect(handled.withLock { $0 } == 1)
            await client.shutdown()
            await server.shutdown()
        }

        /// lws picks the first of the client's offered names that the server supports: the
        /// client's preference, as `LWSConfiguration.subprotocols` documents.
        @Test func subprotocolFollowsTheClientsPreference() async throws {
            let server = try LWSContextBuilder.testServer().subprotocols(["chat", "superchat"])
                .onConnection { connection in try await connection.send(text: connection.info.subprotocol ?? "none") }
                .build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let superFirst = try await client.connect(to: server.url, subprotocols: ["superchat", "chat"])
                #expect(try await superFirst.nextMessage() == .text("superchat"))
                #expect(superFirst.info.subprotocol == "superchat")
                let chatFirst = try await client.connect(to: server.url, subprotocols: ["unknown", "chat", "superchat"])
                #expect(try await chatFirst.nextMessage() == .text("chat"))
            }
            await client.shutdown()
            await server.shutdown()
        }

        /// The hook runs on the service thread: one that takes long is logged at warning level
        /// (and, with a thrown error, at error level), and the server still answers.
        @Test func slowOrThrowingHookIsLogged() async throws {
            struct Denied: Error {}
            let handler = CapturingLogHandler()
            let server = try LWSContextBuilder.testServer()
                .logger(Logger(label: "hook-test") { _ in handler })
                .onUpgrade { request in
                    if request.path == "/throw" { throw Denied() }
                    usleep(30_000)  // 30 ms of blocking: what a hook must not do
                    return .accept
                }
                .echo().build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                _ = try await client.connect(to: server.url)
                await #expect(throws: LWSError.handshakeRejected(status: 500)) { try await client.connect(to: server.url + "throw") }
            }
            let lines = handler.captured
            #expect(lines.contains { $0.0 == .warning && $0.1.contains("upgrade hook ran long") }, "\(lines)")
            #expect(lines.contains { $0.0 == .error && $0.1.contains("upgrade hook threw") }, "\(lines)")
            await client.shutdown()
            await server.shutdown()
        }
    }
}

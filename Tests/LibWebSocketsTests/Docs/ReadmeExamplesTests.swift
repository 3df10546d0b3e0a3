// The README's ```swift blocks, compiled and run. Only the public API: no @testable import.
//
// Each block appears here line for line (`scripts/check-readme-snippets.sh`, run by
// `make check-docs`, checks that). A line that had to change carries
// `// adapted from README: <the README's line>` and stands for that line in the check.
import Foundation
import LibWebSockets
import Synchronization
import Testing

/// Lines written by the README's `print` calls, in the order they were written.
final class PrintedLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

extension AllTests {
    @Suite struct ReadmeExamplesTests {
        /// Swift Testing makes a fresh suite value per test, so each test has its own lines.
        let printed = PrintedLines()

        /// Shadows `Swift.print` for the README's lines, in the test functions and in the handler
        /// closures, so the tests can check what the examples print.
        func print(_ items: Any..., separator: String = " ") {
            printed.append(items.map { "\($0)" }.joined(separator: separator))
        }

        /// The README's client: connects, sends "hello", prints the first message back, closes.
        func readmeClient(port: Int) async throws {
            let client = try LWSContext.builder().build()
            do {
                let connection = try await client.connect(to: "ws://127.0.0.1:\(port)/chat",  // adapted from README: let connection = try await client.connect(to: "ws://127.0.0.1:8080/chat",
                                                          headers: ["Authorization": "Bearer t0k3n"],
                                                          subprotocols: ["chat"])
                try await connection.send(text: "hello")
                for try await message in connection.messages { print(message); break }
                try await connection.close(code: .normalClosure, reason: "bye")
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }

        /// The README's async-style server, its README client, and the echo checked.
        @Test func asyncStyleServerEchoesTheReadmeClient() async throws {
            let server = try LWSContext.builder()
                .listen(host: "127.0.0.1", port: 0)  // adapted from README: .listen(host: "127.0.0.1", port: 8080)
                .subprotocols(["chat"])                      // lws drops clients that offer only others
                .maxConnections(200)
                .idleTimeout(.seconds(30))
                .onConnection { connection in
                    for try await message in connection.messages {
                        try await connection.send(message)   // suspends while the peer is slow
                    }
                }
                .build()
            let port = try #require(server.port)
            // The client runs while the README's last line waits, then shuts the server down,
            // whatever happened, so that line returns.
            let clientRun = Task { () -> (any Error)? in
                var failure: (any Error)?
                do {
                    try await withTimeout(20) { try await self.readmeClient(port: port) }
                } catch {
                    failure = error
                }
                await server.shutdown()
                return failure
            }
            await server.waitUntilShutdown()                 // returns after server.shutdown()
            if let failure = await clientRun.value { throw failure }
            #expect(server.isShutDown)
            #expect(printed.all == [String(describing: WebSocketMessage.text("hello"))])
        }

        /// The README's closure-style server: text and binary come back, and the close reaches
        /// `onClose`, whose `print` line is checked. (It offers no subprotocol, so the test's own
        /// client connects instead of the README's, which asks for "chat".)
        @Test func closureStyleServerEchoesAndSeesTheClose() async throws {
            let server = try LWSContext.builder()
                .listen(host: "127.0.0.1", port: 0)  // adapted from README: .listen(host: "127.0.0.1", port: 8080)
                .onText { connection, text in try? await connection.send(text: text) }
                .onBinary { connection, bytes in try? await connection.send(binary: bytes) }
                .onClose { connection, code, reason in print("closed", code, reason) }
                .build()
            let port = try #require(server.port)

            let client = try LWSContext.builder().build()
            let echoed = try await withTimeout(20) {
                let connection = try await client.connect(to: "ws://127.0.0.1:\(port)/chat")
                try await connection.send(text: "hello")
                try await connection.send(binary: [1, 2, 3, 255])
                var messages: [WebSocketMessage] = []
                for try await message in connection.messages {
                    messages.append(message)
                    if messages.count == 2 { break }
                }
                try await connection.close(code: .normalClosure, reason: "bye")
                return messages
            }
            #expect(echoed == [.text("hello"), .binary([1, 2, 3, 255])])
            let closed = "closed \(WebSocketCloseCode.normalClosure) bye"
            for _ in 0 ..< 500 where printed.all.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(printed.all == [closed])
            await client.shutdown()
            await server.shutdown()
        }

        /// The README's upgrade hook: the README client's token gets in, a stranger gets 401.
        @Test func upgradeHookLetsTheTokenInAndRefusesOthers() async throws {
            let tokens: [String: String] = ["Bearer t0k3n": "ada"]   // your session store
            let server = try LWSContext.builder()
                .listen(host: "127.0.0.1", port: 0)  // adapted from README: .listen(host: "127.0.0.1", port: 8080)
                .allowedOrigins(["https://app.example"])     // pages from other sites get 403
                .maxConnectionsPerAddress(20)                // 429 past it
                .onUpgrade { request in                      // runs before the 101; must not block
                    guard let user = tokens[request.headers["authorization"] ?? ""] else {
                        return .reject(status: 401, headers: [("WWW-Authenticate", "Bearer")])
                    }
                    return .accept(userState: user)
                }
                .onConnection { connection in
                    try await connection.send(text: "hello \(connection.userState as? String ?? "?")")
                }
                .build()
            let client = try LWSContext.builder().build()
            let url = "ws://127.0.0.1:\(try #require(server.port))/"
            // This package's client sends an Origin ("http://" + host unless told otherwise), as browsers do.
            let connection = try await client.connect(
                to: url, headers: ["Authorization": "Bearer t0k3n"], origin: "https://app.example")
            var iterator = connection.messages.makeAsyncIterator()
            #expect(try await iterator.next() == .text("hello ada"))
            await #expect(throws: LWSError.handshakeRejected(status: 401)) {
                try await client.connect(to: url, origin: "https://app.example")
            }
            await #expect(throws: LWSError.handshakeRejected(status: 403)) {
                try await client.connect(to: url, headers: ["Authorization": "Bearer t0k3n"], origin: "https://evil.example")
            }
            await client.shutdown()
            await server.shutdown()
        }

        /// The README's HTTP block: a folder at "/", a route, and the echo on the same port.
        @Test func httpFilesRouteAndEchoOnOnePort() async throws {
            let folder = NSTemporaryDirectory() + "readme-site-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: folder + "/public", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try "<h1>readme</h1>".write(toFile: folder + "/public/index.html", atomically: true, encoding: .utf8)
            let site = try LWSContext.builder()
                .listen(host: "127.0.0.1", port: 0)  // adapted from README: .listen(host: "127.0.0.1", port: 8080)
                .serveFiles(from: folder + "/public", at: "/")  // adapted from README: .serveFiles(from: "public", at: "/")                 // public/index.html at /, 404 for what is missing
                .route("/healthz") { _ in .text("ok") }              // exact path, GET and HEAD
                .onConnection { connection in
                    for try await message in connection.messages { try await connection.send(message) }
                }
                .build()
            let port = try #require(site.port)
            #expect(try httpRequest(port: port, "/")?.text == "<h1>readme</h1>")
            #expect(try httpRequest(port: port, "/healthz")?.text == "ok")
            #expect(try httpRequest(port: port, "/missing.html")?.status == 404)
            let client = try LWSContext.builder().build()
            let connection = try await client.connect(to: "ws://127.0.0.1:\(port)/")
            try await connection.send(text: "beside http")
            var iterator = connection.messages.makeAsyncIterator()
            #expect(try await iterator.next() == .text("beside http"))
            await client.shutdown()
            await site.shutdown()
        }

        /// The README's wss server and client, with certificates made at test time.
        @Test func wssServerAndClientEcho() async throws {
            let certs = try TestCertificates()
            let secure = try LWSContext.builder()
                .listen(host: "127.0.0.1", port: 0)  // adapted from README: .listen(host: "127.0.0.1", port: 8443)
                .tls(certificateChainPath: certs.localhostChain, privateKeyPath: certs.localhostKey)  // adapted from README: .tls(certificateChainPath: "certs/localhost.pem", privateKeyPath: "certs/localhost.key")
                .onConnection { connection in
                    for try await message in connection.messages { try await connection.send(message) }
                }
                .build()
            let client = try LWSContext.builder()
                .clientTLS(TLSClientConfiguration(trustRootsPath: certs.caPath))   // adapted from README: .clientTLS(TLSClientConfiguration(trustRootsPath: "certs/ca.pem"))   // your private CA
                .build()
            let connection = try await client.connect(to: "wss://localhost:\(try #require(secure.port))/")  // adapted from README: let connection = try await client.connect(to: "wss://localhost:8443/")
            try await connection.send(text: "secure hello")
            var iterator = connection.messages.makeAsyncIterator()
            #expect(try await iterator.next() == .text("secure hello"))
            await client.shutdown()
            await secure.shutdown()
        }
    }
}

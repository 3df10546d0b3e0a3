import Foundation
@testable import LibWebSockets
import Testing

extension AllTests {
    /// Plain HTTP routes beside the WebSockets.
    @Suite struct RouteTests {
        struct Broken: Error {}

        private func server(_ configure: (LWSContextBuilder) -> LWSContextBuilder = { $0 }) throws -> LWSContext {
            try configure(LWSContextBuilder.testServer())
                .route("/healthz") { _ in .text("ok") }
                .route("/echo-request") { request in
                    .text("\(request.method.rawValue) \(request.path) ?\(request.query) \(request.headers["x-request-id"] ?? "-") \(request.isSecure)",
                          headers: [("x-route", "yes")])
                }
                .route("/throws") { _ in throw Broken() }
                .route("/bad-header") { _ in .text("x", headers: [("x-evil", "a\r\nset-cookie: b")]) }
                .route("/bad-status") { _ in HTTPRouteResponse(status: 1000) }
                .route("/slow") { _ in
                    try await Task.sleep(for: .milliseconds(300))
                    return .text("slow")
                }
                .echo()
                .build()
        }

        @Test func routesAnswerExactPathsAndEverythingElseIs404() async throws {
            let server = try server()
            let port = server.port!
            let socket = try RawSocket(port: port)
            let health = try #require(socket.request("/healthz"))
            #expect(health.status == 200 && health.text == "ok")
            #expect(health.headers["content-type"] == "text/plain; charset=utf-8")
            let echoed = try #require(socket.request("/echo-request?a=1&b=2", headers: ["X-Request-Id": "hello"]))
            #expect(echoed.text == "GET /echo-request ?a=1&b=2 hello false")
            #expect(echoed.headers["x-route"] == "yes")
            let head = try #require(socket.request("/healthz", method: "HEAD"))
            #expect(head.status == 200 && head.headers["content-length"] == "2" && head.body.isEmpty)
            #expect(socket.request("/healthz/more")?.status == 404)
            #expect(socket.request("/nothing")?.status == 404)
            // Other methods: 405 with Allow, then the connection closes (a body may follow).
            let post = try #require(try RawSocket(port: port).request("/healthz", method: "POST", headers: ["Content-Length": "0"]))
            #expect(post.status == 405 && post.headers["allow"] == "GET, HEAD")
            await server.shutdown()
        }

        @Test func aRouteThatFailsGets500AndTheServerGoesOn() async throws {
            let server = try server()
            let port = server.port!
            #expect(try httpRequest(port: port, "/throws")?.status == 500)
            #expect(try httpRequest(port: port, "/bad-header")?.status == 500, "a header with CR LF is never sent")
            #expect(try httpRequest(port: port, "/bad-status")?.status == 500)
            #expect(try httpRequest(port: port, "/healthz")?.text == "ok")
            await server.shutdown()
        }

        @Test func slowRoutesRunOffTheServiceThread() async throws {
            let server = try server()
            let client = try LWSContextBuilder.testClient().build()
            let port = server.port!
            try await withTimeout(15) {
                let connection = try await client.connect(to: server.url)
                // Ten slow requests at once finish in about the time of one, and the echo
                // answers meanwhile.
                let start = ContinuousClock.now
                async let replies = withThrowingTaskGroup(of: String?.self) { group in
                    for _ in 0 ..< 10 { group.addTask { try await onAThread { try httpRequest(port: port, "/slow")?.text } } }
                    return try await group.reduce(into: [String?]()) { $0.append($1) }
                }
                try await Task.sleep(for: .milliseconds(50))
                try await connection.send(text: "during")
                #expect(try await connection.nextMessage() == .text("during"))
                #expect(ContinuousClock.now - start < .milliseconds(300), "the echo waited for the routes")
                #expect(try await replies == Array(repeating: "slow", count: 10))
                _ = try await connection.close()
            }
            await client.shutdown()
            await server.shutdown()
        }

        @Test func aRouteUnderAFolderWinsOverTheFiles() async throws {
            let folder = NSTemporaryDirectory() + "lws-route-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try "file".write(toFile: folder + "/healthz", atomically: true, encoding: .utf8)
            try "page".write(toFile: folder + "/index.html", atomically: true, encoding: .utf8)
            let server = try server { $0.serveFiles(from: folder) }
            #expect(try httpRequest(port: server.port!, "/healthz")?.text == "ok")
            #expect(try httpRequest(port: server.port!, "/")?.text == "page")
            await server.shutdown()
        }

        @Test func aRouteTooSlowForTheTimeoutIsDroppedCleanly() async throws {
            let server = try LWSContextBuilder.testServer().handshakeTimeout(.seconds(1))
                .route("/stuck") { _ in
                    try await Task.sleep(for: .seconds(3))
                    return .text("late")
                }
                .route("/healthz") { _ in .text("ok") }
                .echo().build()
            let socket = try RawSocket(port: server.port!, timeout: 5)
            socket.write("GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(socket.peerClosed(), "lws drops a request its route does not answer in time")
            #expect(try httpRequest(port: server.port!, "/healthz")?.text == "ok")
            try await Task.sleep(for: .seconds(2.5))  // the late answer arrives and is dropped
            #expect(try httpRequest(port: server.port!, "/healthz")?.text == "ok")
            await server.shutdown()
        }

        @Test func httpConnectionsCountTowardMaxConnections() async throws {
            let server = try server { $0.maxConnections(1) }
            let port = server.port!
            let client = try LWSContextBuilder.testClient().build()
            // A keep-alive HTTP connection holds the one place.
            let keptAlive = try RawSocket(port: port)
            #expect(keptAlive.request("/healthz")?.status == 200)
            let refused = try #require(try httpRequest(port: port, "/healthz"))
            #expect(refused.status == 503 && refused.headers["retry-after"] == "1")
            _ = try await withTimeout(15) {
                await #expect(throws: LWSError.handshakeRejected(status: 503)) { try await client.connect(to: server.url) }
            }
            #expect(server.stats.refusedOverCapacity == 2)
            // Once it closes, the place is free again.
            close(keptAlive.fd)
            try await withTimeout(15) {
                while true {
                    if let connection = try? await client.connect(to: server.url) {
                        _ = try await connection.close()
                        break
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            await client.shutdown()
            await server.shutdown()
        }
    }
}

@testable import LibWebSockets
import Testing

extension AllTests {
    @Suite struct ServerAPITests {
        @Test func closureStyleDeliversEventsInOrder() async throws {
            let events = Locked<[String]>([])
            let server = try LWSContextBuilder.testServer()
                .onOpen { connection in
                    events.withLock { $0.append("open \(connection.info.path)") }
                    try? await connection.ping(payload: [42])
                }
                .onText { connection, text in
                    events.withLock { $0.append("text \(text)") }
                    try? await connection.send(text: text.uppercased())
                }
                .onBinary { connection, bytes in
                    events.withLock { $0.append("binary \(bytes.count)") }
                    try? await connection.send(binary: bytes.reversed())
                }
                .onPong { _, payload in events.withLock { $0.append("pong \(payload)") } }
                .onClose { _, code, reason in events.withLock { $0.append("close \(code) \(reason)") } }
                .build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: server.url + "room")
                try await connection.send(text: "one")
                try await connection.send(binary: [1, 2, 3])
                try await connection.send(text: "two")
                #expect(try await connection.nextMessage() == .text("ONE"))
                #expect(try await connection.nextMessage() == .binary([3, 2, 1]))
                #expect(try await connection.nextMessage() == .text("TWO"))
                try await connection.close(code: .goingAway, reason: "done")
            }
            for _ in 0 ..< 100 where !(events.withLock { $0.last?.hasPrefix("close") ?? false }) {
                try await Task.sleep(for: .milliseconds(10))
            }
            // The pong is delivered where it arrived among the messages, which the network decides.
            let all = events.withLock { $0 }
            #expect(all.filter { !$0.hasPrefix("pong") } == ["open /room", "text one", "binary 3", "text two", "close 1001 done"])
            #expect(all.filter { $0.hasPrefix("pong") } == ["pong [42]"])
            #expect(all.first == "open /room" && all.last == "close 1001 done")
            await client.shutdown()
            await server.shutdown()
        }

        @Test func handlerSeesPathHeadersAndSubprotocol() async throws {
            let seen = Locked<WebSocketConnection.Info?>(nil)
            let server = try LWSContextBuilder.testServer().subprotocols(["chat", "superchat"])
                .onConnection { connection in
                    seen.withLock { if $0 == nil { $0 = connection.info } }
                    try await connection.send(text: connection.info.subprotocol ?? "none")
                }.build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(
                    to: server.url + "path/x?y=1", headers: ["X-Custom-Token": "abc123"], subprotocols: ["superchat"],
                    origin: "http://origin.example")
                #expect(try await connection.nextMessage() == .text("superchat"))
                #expect(connection.info.subprotocol == "superchat")
                #expect(connection.info.isClient)

                let plain = try await client.connect(to: server.url)
                #expect(try await plain.nextMessage() == .text("none"))
            }
            let info = try #require(seen.withLock { $0 })
            #expect(info.remoteAddress == "127.0.0.1")
            #expect(info.isClient == false)
            #expect(info.headers["origin"] == "http://origin.example")
            #expect(info.headers["host"] == "127.0.0.1:\(server.port!)")
            await client.shutdown()
            await server.shutdown()
        }

        @Test func customRequestHeadersReachTheServer() async throws {
            let token = Locked<String?>(nil)
            let server = try LWSContextBuilder.testServer()
                .onConnection { connection in
                    token.withLock { $0 = connection.info.headers["authorization"] }
                }.build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: server.url, headers: ["Authorization": "Bearer t0k3n"])
                _ = await connection.closed()
            }
            #expect(token.withLock { $0 } == "Bearer t0k3n")
            await client.shutdown()
            await server.shutdown()
        }

        @Test func handlerThatThrowsClosesWith1011() async throws {
            struct Boom: Error {}
            let server = try LWSContextBuilder.testServer().onConnection { _ in throw Boom() }.build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: server.url)
                let result = await connection.closed()
                #expect(result.code == .internalServerError)
            }
            await client.shutdown()
            await server.shutdown()
        }

        @Test func handlersCanRunOnTheGlobalExecutor() async throws {
            let server = try LWSContextBuilder.testServer().handlerExecutor(.globalConcurrent).echo().build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: server.url)
                try await expectNumberedEchoes(on: connection, count: 50)
            }
            await client.shutdown()
            await server.shutdown()
        }

        /// The handler task reads its first message on the service thread, then under a
        /// preference for the global executor, where it runs on other threads: it must leave the
        /// service thread's lock-free path for the locked one (the thread sanitizer run checks).
        @Test func handlerTaskReadingOffTheServiceThreadGetsEveryMessageInOrder() async throws {
            let server = try LWSContextBuilder.testServer().onConnection { connection in
                var messages = connection.messages.makeAsyncIterator()
                if let first = try await messages.next() { try await connection.send(first) }
                try await withTaskExecutorPreference(globalConcurrentExecutor) {
                    for try await message in connection.messages { try await connection.send(message) }
                }
            }.build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: server.url)
                try await expectNumberedEchoes(on: connection, count: 300)
            }
            await client.shutdown()
            await server.shutdown()
        }

        @Test func floodOfEmptyMessagesAlsoStopsReading() async throws {
            let release = Locked(false)
            let received = Locked(0)
            let server = try LWSContextBuilder.testServer().maxInboundBuffer(64 * 100)
                .onConnection { connection in
                    while !release.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                    for try await _ in connection.messages {
                        if received.withLock({ $0 += 1; return $0 }) == 20_000 { try await connection.send(text: "done") }
                    }
                }.build()
            try await withTimeout(30) {
                let raw = try RawWebSocketClient(port: server.port!)
                var frames: [UInt8] = []
                for _ in 0 ..< 20_000 { frames += [0x81, 0x80, 1, 2, 3, 4] }  // empty masked text frames
                raw.socket.write(frames)
                try await Task.sleep(for: .milliseconds(500))
                // Empty messages cost 64 bytes each against the buffer: lws stopped reading.
                #expect(server.stats.messagesIn < 1000, "\(server.stats.messagesIn) empty messages queued")
                release.withLock { $0 = true }
                #expect(raw.readFrame().map { String(decoding: $0.payload, as: UTF8.self) } == "done")
            }
            #expect(received.withLock { $0 } == 20_000)
            await server.shutdown()
        }

        @Test func slowConsumerStopsReadingWithoutUnboundedBuffering() async throws {
            let release = Locked(false)
            let received = Locked(0)
            let server = try LWSContextBuilder.testServer().maxInboundBuffer(64 << 10)
                .onConnection { connection in
                    while !release.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                    for try await _ in connection.messages {
                        let count = received.withLock { $0 += 1; return $0 }
                        if count == 200 { try await connection.send(text: "all 200") }
                    }
                }.build()
            let client = try LWSContextBuilder.testClient().maxBackpressure(32 << 10).build()
            try await withTimeout(30) {
                let connection = try await client.connect(to: server.url)
                let payload = [UInt8](repeating: 5, count: 16 << 10)
                let sender = Task { for _ in 0 ..< 200 { try await connection.send(binary: payload) } }
                try await Task.sleep(for: .milliseconds(500))
                // The server stopped reading, socket buffers filled, and the client's sends wait.
                #expect(server.stats.messagesIn < 200)
                #expect(connection.bufferedOutboundBytes <= (32 << 10) + payload.count)
                release.withLock { $0 = true }
                try await sender.value
                #expect(try await connection.nextMessage() == .text("all 200"))
            }
            #expect(received.withLock { $0 } == 200)
            await client.shutdown()
            await server.shutdown()
        }
    }
}

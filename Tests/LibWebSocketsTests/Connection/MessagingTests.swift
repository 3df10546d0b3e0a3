@testable import LibWebSockets
import Testing

extension AllTests {
    @Suite struct MessagingTests {
        @Test func textBinaryAndEmptyMessagesEcho() async throws {
            try await withEchoConnection(timeout: 10) { connection, _, _ in
                let sent: [WebSocketMessage] = [.text("hello"), .binary([1, 2, 3, 0, 255]), .text(""), .binary([]), .text("héllo wörld ✓")]
                for message in sent { try await connection.send(message) }
                var received: [WebSocketMessage] = []
                for try await message in connection.messages {
                    received.append(message)
                    if received.count == sent.count { break }
                }
                #expect(received == sent)
                let result = try await connection.close()
                #expect(result.code == .normalClosure)
                #expect(result.initiatedLocally)
            }
        }

        @Test(arguments: [1 << 20, 16 << 20])
        func largeMessagesEchoWhole(size: Int) async throws {
            let server = try LWSContextBuilder.testServer().echo().build()
            let client = try LWSContextBuilder.testClient().build()
            // ASan with full unwinding (make test-asan) records a stack per allocation: slower.
            try await withTimeout(underSanitizer ? 240 : 60) {
                let connection = try await client.connect(to: server.url)
                let payload = (0 ..< size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
                try await connection.send(binary: payload)
                try await connection.send(text: String(repeating: "x", count: size))
                #expect(try await connection.nextMessage() == .binary(payload))
                #expect(try await connection.nextMessage() == .text(String(repeating: "x", count: size)))
            }
            #expect(server.stats.messagesIn == 2)
            #expect(server.stats.bytesIn == 2 * size)
            await client.shutdown()
            await server.shutdown()
        }

        @Test func fragmentedMessageFromPeerIsReassembled() async throws {
            let server = try LWSContextBuilder.testServer().echo().build()
            try await withTimeout(10) {
                let raw = try RawWebSocketClient(port: server.port!)
                raw.send(opcode: 1, payload: Array("frag".utf8), fin: false)
                raw.send(opcode: 0, payload: Array("men".utf8), fin: false)
                raw.send(opcode: 9, payload: Array("ping in the middle".utf8))  // control frames may interleave
                raw.send(opcode: 0, payload: Array("ted ✓".utf8), fin: true)
                var frames: [RawWebSocketClient.Frame] = []
                while frames.count < 2, let frame = raw.readFrame() { frames.append(frame) }
                let pong = try #require(frames.first { $0.opcode == 10 })
                #expect(pong.payload == Array("ping in the middle".utf8))
                let text = try #require(frames.first { $0.opcode == 1 })
                #expect(String(decoding: text.payload, as: UTF8.self) == "fragmented ✓")
                #expect(text.fin)
            }
            await server.shutdown()
        }

        @Test func largeSendsGoOutAsFragments() async throws {
            let server = try LWSContextBuilder.testServer().maxFrameSize(1000)
                .onConnection { connection in
                    try await connection.send(binary: [UInt8](repeating: 9, count: 2500))
                    _ = await connection.closed()
                }.build()
            try await withTimeout(10) {
                let raw = try RawWebSocketClient(port: server.port!)
                var frames: [RawWebSocketClient.Frame] = []
                while frames.count < 3, let frame = raw.readFrame() { frames.append(frame) }
                #expect(frames.map(\.opcode) == [2, 0, 0])
                #expect(frames.map(\.payload.count) == [1000, 1000, 500])
                #expect(frames.map(\.fin) == [false, false, true])
            }
            await server.shutdown()
        }

        @Test func hundredConnectionsKeepOrder() async throws {
            let server = try LWSContextBuilder.testServer().echo().build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(60) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for c in 0 ..< 100 {
                        group.addTask {
                            let connection = try await client.connect(to: server.url)
                            try await expectNumberedEchoes(on: connection, count: 100, prefix: "\(c)-")
                            try await connection.close()
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(server.stats.totalConnections == 100)
            #expect(server.stats.messagesIn == 100 * 100)
            await client.shutdown()
            await server.shutdown()
        }

        @Test func sendsFromManyTasksKeepPerTaskOrder() async throws {
            let server = try LWSContextBuilder.testServer().echo().build()
            let client = try LWSContextBuilder.testClient().maxBackpressure(4096).build()
            try await withTimeout(30) {
                let connection = try await client.connect(to: server.url)
                let tasks = 16, perTask = 200
                async let sent: Void = withThrowingTaskGroup(of: Void.self) { group in
                    for t in 0 ..< tasks {
                        group.addTask { for i in 0 ..< perTask { try await connection.send(text: "\(t):\(i)") } }
                    }
                    try await group.waitForAll()
                }
                var next = [Int](repeating: 0, count: tasks)
                var total = 0
                for try await message in connection.messages {
                    guard case .text(let text) = message else { break }
                    let parts = text.split(separator: ":").compactMap { Int($0) }
                    #expect(parts[1] == next[parts[0]])
                    next[parts[0]] += 1
                    total += 1
                    if total == tasks * perTask { break }
                }
                try await sent
                #expect(next == [Int](repeating: perTask, count: tasks))
            }
            await client.shutdown()
            await server.shutdown()
        }

        @Test func sendSuspendsWhenPeerDoesNotRead() async throws {
            let sent = Locked(0)
            let buffered = Locked(0)
            let maxBackpressure = 256 << 10, size = 64 << 10
            let server = try LWSContextBuilder.testServer().maxBackpressure(maxBackpressure)
                .onConnection { connection in
                    let payload = [UInt8](repeating: 1, count: size)
                    while true {
                        try await connection.send(binary: payload)
                        sent.withLock { $0 += 1 }
                        buffered.withLock { $0 = max($0, connection.bufferedOutboundBytes) }
                    }
                }.build()
            let raw = try RawWebSocketClient(port: server.port!)  // never reads
            try await Task.sleep(for: .milliseconds(1500))
            let early = sent.withLock { $0 }
            try await Task.sleep(for: .milliseconds(500))
            let late = sent.withLock { $0 }
            #expect(late == early, "send kept returning while the peer read nothing")
            // Kernel socket buffers absorb a few MiB on loopback; everything else waits.
            #expect(late * size < 32 << 20)
            #expect(buffered.withLock { $0 } <= maxBackpressure + size)
            #expect(server.stats.messagesOut < late + 1)
            withExtendedLifetime(raw) {}
            await server.shutdown()
        }

        @Test func cancellingAReaderWakesIt() async throws {
            try await withEchoConnection(timeout: 10) { connection, _, _ in
                let reader = Task {
                    do {
                        for try await _ in connection.messages {}
                        return "ended"
                    } catch is CancellationError {
                        return "cancelled"
                    }
                }
                try await Task.sleep(for: .milliseconds(100))
                reader.cancel()
                #expect(try await reader.value == "cancelled")
                // The connection is still usable by the next reader.
                try await connection.send(text: "after")
                #expect(try await connection.nextMessage() == .text("after"))
            }
        }

        @Test func headersAreCaseInsensitiveAndOrdered() {
            let headers = WebSocketHeaders([("Host", "a:1"), ("X-Token", "t:with:colons"), ("x-token", "second")])
            #expect(headers["host"] == "a:1")
            #expect(headers["X-TOKEN"] == "t:with:colons")
            #expect(headers["missing"] == nil)
            #expect(headers.map(\.name) == ["host", "x-token", "x-token"])
            #expect(headers.map(\.value) == ["a:1", "t:with:colons", "second"])
            #expect(WebSocketHeaders().isEmpty)
        }

        @Test func trySendReportsBufferFull() async throws {
            let server = try LWSContextBuilder.testServer().maxBackpressure(1024)
                .onConnection { connection in
                    var outcome: (any Error)?
                    for _ in 0 ..< 10_000 {
                        do { try connection.trySend(.binary([UInt8](repeating: 0, count: 4096))) } catch {
                            outcome = error
                            break
                        }
                    }
                    try await connection.send(text: outcome.map { "\($0)" } ?? "never full")
                }.build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: server.url)
                for try await message in connection.messages {
                    if case .text(let text) = message {
                        #expect(text == LWSError.bufferFull.description)
                        break
                    }
                }
            }
            await client.shutdown()
            await server.shutdown()
        }
    }
}

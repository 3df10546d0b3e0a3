@testable import LibWebSockets
import Testing

extension AllTests {
    @Suite struct ProtocolErrorTests {
        @Test func oversizeMessageClosesWith1009AndBothSidesKnow() async throws {
            let serverSaw = Locked<(count: Int, error: (any Error)?, result: WebSocketCloseResult?)>((0, nil, nil))
            let server = try LWSContextBuilder.testServer().maxMessageSize(1000)
                .onConnection { connection in
                    do {
                        for try await _ in connection.messages { serverSaw.withLock { $0.count += 1 } }
                    } catch {
                        serverSaw.withLock { $0.error = error }
                    }
                    let result = await connection.closed()
                    serverSaw.withLock { $0.result = result }
                }.build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: server.url)
                try await connection.send(binary: [UInt8](repeating: 1, count: 1000))  // at the limit: fine
                try await connection.send(binary: [UInt8](repeating: 2, count: 1001))
                for try await _ in connection.messages {}
                let result = await connection.closed()
                #expect(result.code == .messageTooBig)
                #expect(result.reason == "message too big")
            }
            for _ in 0 ..< 100 where serverSaw.withLock({ $0.result }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            let saw = serverSaw.withLock { $0 }
            #expect(saw.count == 1)
            #expect(saw.error as? LWSError == .messageTooLarge(1000))
            #expect(saw.result?.code == .messageTooBig && saw.result?.initiatedLocally == true)
            await client.shutdown()
            await server.shutdown()
        }

        @Test func oversizeFragmentedMessageIsCaughtBeforeItIsWhole() async throws {
            let server = try LWSContextBuilder.testServer().maxMessageSize(100).echo().build()
            try await withTimeout(10) {
                let raw = try RawWebSocketClient(port: server.port!)
                raw.send(opcode: 2, payload: [UInt8](repeating: 0, count: 40), fin: false)
                for _ in 0 ..< 2 { raw.send(opcode: 0, payload: [UInt8](repeating: 0, count: 40), fin: false) }
                #expect(raw.readCloseCode() == 1009)
            }
            await server.shutdown()
        }

        /// What the server does with a frame.
        enum Outcome: Equatable {
            /// A close frame with this code, then the TCP connection ends.
            case closeFrame(UInt16)
            /// The TCP connection ends with no close frame (the peer sees 1006).
            case dropped
            /// lws accepts the frame as if it were valid.
            case accepted
        }

        /// Frames no lws client would send, from a client written in the test. The expected
        /// outcomes are lws 4.1.6's: it sends no close frame for the two length errors and does
        /// not check client masking at all (RFC 6455 5.1 says it must). This package does not
        /// parse frames, so it cannot do better; the README lists these.
        static let malformed: [(name: String, expected: Outcome, send: @Sendable (RawWebSocketClient) -> Void)] = [
            ("invalid UTF-8 text", .closeFrame(1007), { $0.send(opcode: 1, payload: [0x48, 0xC3, 0x28, 0x49]) }),
            ("invalid UTF-8 across fragments", .closeFrame(1007), {
                $0.send(opcode: 1, payload: [0x48, 0xE2, 0x82], fin: false)
                $0.send(opcode: 0, payload: [0x28])
            }),
            ("reserved opcode 3", .closeFrame(1002), { $0.send(opcode: 3, payload: [1, 2, 3]) }),
            ("reserved control opcode 11", .closeFrame(1002), { $0.send(opcode: 11, payload: []) }),
            ("fragmented control frame", .closeFrame(1002), { $0.send(opcode: 9, payload: [1], fin: false) }),
            ("continuation without a start", .closeFrame(1002), { $0.send(opcode: 0, payload: [1, 2]) }),
            ("control frame over 125 bytes", .dropped, { $0.send(opcode: 9, payload: [UInt8](repeating: 0, count: 126)) }),
            ("64-bit length with the top bit set", .dropped, {
                $0.send(opcode: 2, payload: [], lengthOverride: 0x8000_0000_0000_0000)
            }),
            ("unmasked client frame", .accepted, { $0.send(opcode: 1, payload: Array("hi".utf8), masked: false) }),
        ]

        @Test(arguments: 0 ..< malformed.count)
        func malformedFramesGetTheRightCloseCode(index: Int) async throws {
            let (name, expected, send) = Self.malformed[index]
            try await withEchoConnection(timeout: 10) { bystander, server, _ in
                let raw = try RawWebSocketClient(port: server.port!)
                raw.socket.setTimeout(2)
                send(raw)
                let outcome: Outcome
                if let frame = raw.readFrame() {
                    outcome = frame.opcode == 8 ? .closeFrame(frame.closeCode ?? 1005) : .accepted
                } else {
                    outcome = .dropped
                }
                #expect(outcome == expected, "\(name)")
                if case .closeFrame(let code) = outcome {
                    raw.send(opcode: 8, payload: [UInt8(code >> 8), UInt8(code & 0xFF)])  // the close ack
                }
                if expected != .accepted {
                    #expect(raw.socket.peerClosed(), "\(name): the TCP connection stayed open")
                }
                // Everyone else is still served.
                try await bystander.send(text: "still here")
                #expect(try await bystander.nextMessage() == .text("still here"))
            }
        }

        @Test func closeCodesAndReasonsTravelBothWays() async throws {
            let seen = Locked<[String]>([])
            let server = try LWSContextBuilder.testServer()
                .onText { connection, text in
                    if text == "close me" { _ = try? await connection.close(code: .init(rawValue: 4002), reason: "server bye") }
                }
                .onClose { _, code, reason in seen.withLock { $0.append("\(code) \(reason)") } }
                .build()
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let first = try await client.connect(to: server.url)
                let ours = try await first.close(code: .init(rawValue: 4001), reason: "client bye ✓")
                #expect(ours.code.rawValue == 4001 && ours.initiatedLocally)

                let second = try await client.connect(to: server.url)
                try await second.send(text: "close me")
                let theirs = await second.closed()
                #expect(theirs.code.rawValue == 4002)
                #expect(theirs.reason == "server bye")
                #expect(!theirs.initiatedLocally)
            }
            for _ in 0 ..< 50 where seen.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(Set(seen.withLock { $0 }) == ["4001 client bye ✓", "4002 server bye"])
            await client.shutdown()
            await server.shutdown()
        }

        @Test func invalidCloseArgumentsThrowBeforeSending() async throws {
            try await withEchoConnection(timeout: 10) { connection, _, _ in
                for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 2000, 5000] {
                    await #expect(throws: LWSError.invalidCloseCode(code)) {
                        try await connection.close(code: .init(rawValue: code))
                    }
                }
                await #expect(throws: LWSError.closeReasonTooLong(124)) {
                    try await connection.close(reason: String(repeating: "r", count: 124))
                }
                await #expect(throws: LWSError.pingPayloadTooLong(126)) {
                    try await connection.ping(payload: [UInt8](repeating: 0, count: 126))
                }
                // Nothing was sent: the connection still works.
                try await connection.send(text: "alive")
                #expect(try await connection.nextMessage() == .text("alive"))
                let result = try await connection.close(reason: String(repeating: "r", count: 123))
                #expect(result.code == .normalClosure)
                await #expect(throws: LWSError.connectionClosed) { try await connection.send(text: "late") }
            }
        }

        @Test func pingReturnsWhenPongArrives() async throws {
            try await withEchoConnection(timeout: 10) { connection, _, _ in
                try await connection.ping(payload: Array("are you there".utf8))
                try await connection.ping()
            }
        }
    }
}

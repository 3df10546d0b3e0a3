import Foundation
@testable import LibWebSockets
import Testing

extension AllTests {
    /// permessage-deflate against a peer written in the test with zlib (``DeflatePeer``), which
    /// compresses what it sends and inflates and checks every byte it gets back.
    @Suite struct CompressionTests {
        /// A compressing echo server; `negotiated` receives each connection's `info.compression`.
        static func server(
            _ configure: (LWSContextBuilder) -> LWSContextBuilder = { $0 },
            negotiated: Locked<[WebSocketCompression.Negotiated?]>? = nil
        ) throws -> LWSContext {
            try configure(LWSContextBuilder.testServer().compression())
                .onConnection { connection in
                    negotiated?.withLock { $0.append(connection.info.compression) }
                    for try await message in connection.messages { try await connection.send(message) }
                }.build()
        }

        @Test func compressibleIncompressibleFragmentedAndEmptyMessagesRoundTrip() async throws {
            let negotiated = Locked<[WebSocketCompression.Negotiated?]>([])
            let server = try Self.server(negotiated: negotiated)
            try await withTimeout(20) { try await onAThread {
                let peer = try DeflatePeer(port: server.port!)
                try check(peer.accepted, "permessage-deflate")
                let json = compressibleText(200_000)
                let noise = incompressibleBytes(64 << 10)
                peer.send(json, text: true)
                try check(try peer.receive(), .message(bytes: json, compressed: true, opcode: 1))
                peer.send(noise)
                try check(try peer.receive(), .message(bytes: noise, compressed: true, opcode: 2))
                peer.send(json, text: true, fragments: 7)
                try check(try peer.receive(), .message(bytes: json, compressed: true, opcode: 1))
                peer.send([])  // compressed empty message; the echo goes out uncompressed
                try check(try peer.receive(), .message(bytes: [], compressed: false, opcode: 2))
                peer.sendUncompressed(Array("plain".utf8), text: true)  // RFC 7692 allows an uncompressed message
                try check(try peer.receive(), .message(bytes: Array("plain".utf8), compressed: true, opcode: 1))
            } }
            #expect(negotiated.withLock { $0 } == [WebSocketCompression.Negotiated()])
            #expect(server.stats.compressedConnections == 1)
            await server.shutdown()
        }

        @Test func contextTakeoverParametersAreEchoedAndKept() async throws {
            let negotiated = Locked<[WebSocketCompression.Negotiated?]>([])
            let server = try Self.server(negotiated: negotiated)
            try await withTimeout(20) { try await onAThread {
                // The server promises to reset its compressor after every message, so each
                // message must inflate on its own; the client resets its own too.
                let peer = try DeflatePeer(
                    port: server.port!, offer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
                try check(peer.accepted, "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
                peer.resetDecompressorPerMessage = true
                peer.resetCompressorPerMessage = true
                let message = compressibleText(5000)
                for _ in 0 ..< 5 {
                    peer.send(message, text: true)
                    try check(try peer.receive(), .message(bytes: message, compressed: true, opcode: 1))
                }
            } }
            #expect(negotiated.withLock { $0 } == [.init(serverNoContextTakeover: true, clientNoContextTakeover: true)])
            await server.shutdown()
        }

        @Test func aSmallerServerWindowIsAnsweredAndUsed() async throws {
            let negotiated = Locked<[WebSocketCompression.Negotiated?]>([])
            let server = try Self.server(negotiated: negotiated)
            try await withTimeout(20) { try await onAThread {
                let peer = try DeflatePeer(port: server.port!, offer: "permessage-deflate; server_max_window_bits=10")
                try check(peer.accepted, "permessage-deflate; server_max_window_bits=10")
                peer.useDecompressor(windowBits: 10)  // a larger window in the server's output would fail here
                let message = compressibleText(300_000, seed: 7)
                for _ in 0 ..< 3 {
                    peer.send(message, text: true)
                    try check(try peer.receive(), .message(bytes: message, compressed: true, opcode: 1))
                }
                // 8 is declined: zlib cannot compress with it.
                let declined = try DeflatePeer(port: server.port!, offer: "permessage-deflate; server_max_window_bits=8")
                try check(declined.accepted, String?.none)
            } }
            #expect(negotiated.withLock { $0 }.contains(.init(serverMaxWindowBits: 10)))
            #expect(server.stats.compressionDeclined == 1)
            await server.shutdown()
        }

        @Test func offersTheServerCannotHonourAreDeclinedNotMisanswered() async throws {
            let server = try Self.server()
            try await withTimeout(20) { try await onAThread {
                for offer in ["permessage-deflate; foo=1", "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
                              "permessage-deflate; server_max_window_bits"] {
                    let peer = try DeflatePeer(port: server.port!, offer: offer)
                    try check(peer.accepted, String?.none, "\(offer)")
                    peer.sendUncompressed([1, 2, 3])
                    try check(try peer.receive(), .message(bytes: [1, 2, 3], compressed: false, opcode: 2))
                }
                // A second offer that can be honoured is taken.
                let peer = try DeflatePeer(port: server.port!, offer: "permessage-deflate; foo, permessage-deflate")
                try check(peer.accepted, "permessage-deflate")
            } }
            #expect(server.stats.compressionDeclined == 4)
            await server.shutdown()
        }

        @Test func offersToAServerWithoutCompressionAndServersToPeersWithoutIt() async throws {
            let plain = try LWSContextBuilder.testServer().echo().build()
            let compressing = try Self.server()
            try await withTimeout(20) { try await onAThread {
                let offered = try DeflatePeer(port: plain.port!)
                try check(offered.accepted, String?.none)
                offered.sendUncompressed([9, 9])
                try check(try offered.receive(), .message(bytes: [9, 9], compressed: false, opcode: 2))
                let notOffered = try DeflatePeer(port: compressing.port!, offer: nil)
                try check(notOffered.accepted, String?.none)
                notOffered.sendUncompressed([7])
                try check(try notOffered.receive(), .message(bytes: [7], compressed: false, opcode: 2))
            } }
            // This package's client without compression does not offer it.
            let client = try LWSContextBuilder.testClient().build()
            try await withTimeout(10) {
                let connection = try await client.connect(to: compressing.url)
                #expect(connection.info.compression == nil)
                try await expectNumberedEchoes(on: connection, count: 3)
            }
            #expect(compressing.stats.compressedConnections == 0)
            await client.shutdown()
            await plain.shutdown()
            await compressing.shutdown()
        }

        /// This package's client with compression against its server with compression: both
        /// sides compress, several connections at once, large messages checked byte for byte.
        @Test func clientAndServerOfThisPackageCompressBothWays() async throws {
            let negotiated = Locked<[WebSocketCompression.Negotiated?]>([])
            let server = try Self.server(negotiated: negotiated)
            let client = try LWSContextBuilder.testClient().compression().build()
            try await withTimeout(30) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0 ..< 4 {
                        group.addTask {
                            let connection = try await client.connect(to: server.url)
                            #expect(connection.info.compression == WebSocketCompression.Negotiated())
                            for round in 0 ..< 5 {
                                let text = String(decoding: compressibleText(150_000, seed: index * 10 + round), as: UTF8.self)
                                let bytes = incompressibleBytes(20_000, seed: UInt64(index * 10 + round))
                                try await connection.send(text: text)
                                try await connection.send(binary: bytes)
                                try await connection.send(text: "")
                                var iterator = connection.messages.makeAsyncIterator()
                                #expect(try await iterator.next() == .text(text))
                                #expect(try await iterator.next() == .binary(bytes))
                                #expect(try await iterator.next() == .text(""))
                            }
                            try await connection.close()
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(client.stats.compressedConnections == 4)
            #expect(server.stats.compressedConnections == 4)
            #expect(client.stats.compressionConflicts == 0 && server.stats.compressionConflicts == 0)
            await client.shutdown()
            await server.shutdown()
        }

        @Test func aCompressedFrameWithoutNegotiationIsAProtocolError() async throws {
            let server = try LWSContextBuilder.testServer().echo().build()
            try await withTimeout(10) { try await onAThread {
                let peer = try DeflatePeer(port: server.port!, offer: nil)
                peer.send(compressibleText(100), text: true)
                try check(try peer.receive(), .close(1002))
            } }
            await server.shutdown()
        }

        @Test func messagesJustUnderAndOverTheLimitAfterInflation() async throws {
            let limit = 64 << 10
            let server = try Self.server { $0.maxMessageSize(limit) }
            try await withTimeout(20) { try await onAThread {
                let peer = try DeflatePeer(port: server.port!)
                let atLimit = compressibleText(limit)
                peer.send(atLimit, text: true)
                try check(try peer.receive(), .message(bytes: atLimit, compressed: true, opcode: 1))
                let over = compressibleText(limit + 1)
                peer.send(over, text: true)
                try check(try peer.receive(), .close(1009))
            } }
            await server.shutdown()
        }

        /// 830 KB of compressed zeros inflate to 128 MiB; the server must stop at its 1 MiB limit,
        /// answer 1009 without waiting for anything (lws 4.1.6 alone ignores the close while it
        /// drains inflated data, and the connection hangs until the idle timeout, here 120 s,
        /// far past the peer's 10 s read timeout), and go on serving others. Memory stays bounded
        /// on the way: lws inflates in 16 KiB steps and the message assembler stops at the limit.
        @Test func aCompressionBombClosesWith1009WithoutBeingInflated() async throws {
            let server = try Self.server { $0.maxMessageSize(1 << 20).idleTimeout(.seconds(120), pingAfter: .seconds(100)) }
            let bomb = DeflateBomb.zeros(inflatedSize: 128 << 20)
            try await withTimeout(60) { try await onAThread {
                let peer = try DeflatePeer(port: server.port!)
                peer.sendFrames(bomb, opcode: 0x42, fragments: 1)
                try check(try peer.receive(), .close(1009))
                let other = try DeflatePeer(port: server.port!)
                other.send([1, 2, 3])
                try check(try other.receive(), .message(bytes: [1, 2, 3], compressed: true, opcode: 2))
            } }
            #expect(server.stats.messagesIn == 1, "only the other connection's message arrived")
            await server.shutdown()
        }

        /// Eight connections echo compressed messages for 10 s, every byte checked. Messages
        /// inflate past lws's step (16 KiB) so that inflating spans service calls, which is where
        /// lws 4.1.6 reads compressed input from a buffer another connection's read overwrites;
        /// a small inbound limit makes the server pause reading in the middle of such drains.
        @Test func eightConnectionsEchoCompressedTrafficConcurrently() async throws {
            let server = try Self.server { $0.maxInboundBuffer(64 << 10) }
            let echoed = Locked(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for connection in 0 ..< 8 {
                    group.addTask {
                        try await withTimeout(40) { try await onAThread {
                            let peer = try DeflatePeer(port: server.port!)
                            let deadline = ContinuousClock.now + .seconds(10)
                            var round = 0
                            while ContinuousClock.now < deadline {
                                let size = [100, 20_000, 150_000, 400_000][round % 4]
                                let message = round % 5 == 4
                                    ? incompressibleBytes(size / 4, seed: UInt64(connection * 1000 + round))
                                    : compressibleText(size, seed: connection * 1000 + round)
                                for _ in 0 ..< 3 { peer.send(message, text: round % 5 != 4, fragments: round % 3 + 1) }
                                for _ in 0 ..< 3 {
                                    guard case .message(let bytes, true, _) = try peer.receive(), bytes == message else {
                                        throw PeerCheckFailed(description: "connection \(connection) round \(round): wrong echo")
                                    }
                                }
                                echoed.withLock { $0 += 3 }
                                round += 1
                            }
                        } }
                    }
                }
                try await group.waitForAll()
            }
            #expect(echoed.withLock { $0 } > 8 * 3)
            #expect(server.stats.compressionConflicts == 0)
            await server.shutdown()
        }
    }
}

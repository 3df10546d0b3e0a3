import Foundation
@testable import LibWebSockets
import Testing

extension AllTests {
    /// A peer that reads far slower than the server sends. A scaled-down version of the issue's
    /// case (100 MiB to a 10 KiB/s reader for 60 s, with server RSS from /proc), which
    /// `make faults` runs at full size.
    @Suite struct SlowConsumerTests {
        /// The sending side of the firehose, as the test watches it.
        struct Sender {
            var connection: WebSocketConnection?
            var sent = 0
            var inSend = false
            var mostBuffered = 0
            var error: (any Error)?
        }

        @Test func sendSuspendsForASlowReaderWhileOthersAreServed() async throws {
            let maxBackpressure = 256 << 10, size = 64 << 10, total = 64 << 20
            let sender = Locked(Sender())
            let server = try LWSContextBuilder.testServer().maxBackpressure(maxBackpressure)
                .onConnection { connection in
                    guard connection.info.path == "/firehose" else {
                        for try await message in connection.messages { try await connection.send(message) }
                        return
                    }
                    sender.withLock { $0.connection = connection }
                    do {
                        for sequence in 0 ..< total / size {
                            // A fresh buffer each time: queued messages would show as memory.
                            var payload = [UInt8](repeating: UInt8(truncatingIfNeeded: sequence), count: size)
                            withUnsafeBytes(of: UInt32(sequence).littleEndian) { payload.replaceSubrange(0 ..< 4, with: $0) }
                            sender.withLock { $0.inSend = true }
                            try await connection.send(binary: payload)
                            let buffered = connection.bufferedOutboundBytes
                            sender.withLock {
                                $0.inSend = false
                                $0.sent += 1
                                $0.mostBuffered = max($0.mostBuffered, buffered)
                            }
                        }
                    } catch {
                        sender.withLock {
                            $0.inSend = false
                            $0.error = error
                        }
                    }
                }.build()
            let client = try LWSContextBuilder.testClient().build()
            let port = server.port!
            let reading = Locked(true)
            try await withTimeout(60) {
                let bystander = try await client.connect(to: server.url)
                // The slow reader: one 64 KiB message every 125 ms (512 KiB/s), each checked, with a
                // small receive buffer so the kernel holds little for it.
                async let read: (messages: Int, intact: Bool) = onAThread {
                    let raw = try RawWebSocketClient(port: port, path: "/firehose")
                    var small: Int32 = 64 << 10
                    setsockopt(raw.socket.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
                    raw.socket.setTimeout(10)
                    var messages = 0, intact = true
                    while reading.withLock({ $0 }) {
                        guard let frame = raw.readFrame() else { return (messages, false) }
                        let sequence = frame.payload.prefix(4).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
                        intact = intact && frame.opcode == 2 && frame.fin && frame.payload.count == size && sequence == messages
                            && frame.payload.dropFirst(4).allSatisfy { $0 == UInt8(truncatingIfNeeded: messages) }
                        messages += 1
                        usleep(125_000)
                    }
                    raw.socket.resetOnClose()
                    return (messages, intact)
                }
                // Meanwhile: the bystander echoes, and the firehose's queue stays bounded.
                var samples = 0, samplesInSend = 0, echoes = 0
                let start = ContinuousClock.now
                while ContinuousClock.now - start < .seconds(3) {
                    try await expectEcho(bystander, "echo \(echoes)")
                    try await expectFreshEcho(client, server, "newcomer \(echoes)")
                    echoes += 1
                    let now = sender.withLock { $0 }
                    if let connection = now.connection {
                        #expect(connection.bufferedOutboundBytes <= maxBackpressure + size)
                        samples += 1
                        if now.inSend { samplesInSend += 1 }
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                // The reader keeps its pace; the sender waits in send rather than queueing more.
                let before = sender.withLock { $0.sent }
                try await Task.sleep(for: .milliseconds(500))
                let watched = sender.withLock { $0 }
                #expect(watched.inSend, "the sender is not waiting in send")
                #expect(watched.sent - before <= 8, "send returned \(watched.sent - before) times in 0.5 s for a 512 KiB/s reader")
                #expect(watched.sent * size < total, "all \(total) bytes were taken at once")
                #expect(watched.mostBuffered <= maxBackpressure + size)
                #expect(samplesInSend * 2 >= samples, "the sender was in send for only \(samplesInSend) of \(samples) samples")
                reading.withLock { $0 = false }
                let (messages, intact) = try await read
                print("slow consumer: \(watched.sent) sends of \(size) B returned, reader took \(messages), most queued \(watched.mostBuffered) B, in send at \(samplesInSend) of \(samples) samples")
                #expect(intact, "the slow reader got a message out of order or damaged")
                #expect(messages >= 10)
                // The reader reset: the waiting send fails, and the others are still served.
                for _ in 0 ..< 500 where sender.withLock({ $0.error }) == nil { try await Task.sleep(for: .milliseconds(10)) }
                #expect(sender.withLock { $0.error } as? LWSError == .connectionClosed)
                try await expectEcho(bystander, "after")
            }
            await client.shutdown()
            await server.shutdown()
        }
    }
}

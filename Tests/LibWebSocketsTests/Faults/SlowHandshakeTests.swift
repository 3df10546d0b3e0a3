@testable import LibWebSockets
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension AllTests {
    /// Slowloris: a peer that sends its upgrade request one byte a second, so it never finishes.
    @Suite struct SlowHandshakeTests {
        @Test func oneHeaderByteASecondIsDroppedAtTheHandshakeTimeout() async throws {
            let timeout = Duration.seconds(3)
            let server = try LWSContextBuilder.testServer().handshakeTimeout(timeout).echo().build()
            let client = try LWSContextBuilder.testClient().build()
            let port = server.port!
            try await withTimeout(30) {
                let bystander = try await client.connect(to: server.url)
                let start = ContinuousClock.now
                async let slow: (dropped: Duration?, sent: Int, answered: Int) = onAThread {
                    let socket = try RawSocket(port: port, timeout: 1)
                    let request = Array(upgradeRequest().utf8)
                    var sent = 0, answered = 0
                    while sent < request.count {
                        socket.write([request[sent]])
                        sent += 1
                        // Waits a second for the next byte, and notices at once when the server hangs up.
                        var byte: UInt8 = 0
                        let n = recv(socket.fd, &byte, 1, 0)
                        if n > 0 { answered += 1 }
                        if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                            return (ContinuousClock.now - start, sent, answered)
                        }
                    }
                    return (nil, sent, answered)
                }
                // Meanwhile the server serves others: the open connection and a new one.
                for i in 0 ..< 4 {
                    try await expectEcho(bystander, "during \(i)")
                    try await expectFreshEcho(client, server, "newcomer \(i)")
                    try await Task.sleep(for: .milliseconds(500))
                }
                let (dropped, sent, answered) = try await slow
                let after = try #require(dropped, "the slow handshake was never dropped (\(sent) bytes sent)")
                // lws's timers tick once a second.
                #expect(after >= timeout - .seconds(1) && after <= timeout + .seconds(1), "dropped after \(after)")
                print("slow handshake: handshakeTimeout \(timeout), dropped after \(after) and \(sent) bytes")
                #expect(answered == 0, "the server answered a request it never got whole")
                #expect(server.stats.openConnections == 1)
                try await expectEcho(bystander, "after")
            }
            await client.shutdown()
            await server.shutdown()
        }
    }
}

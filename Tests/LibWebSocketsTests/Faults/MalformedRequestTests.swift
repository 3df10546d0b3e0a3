@testable import LibWebSockets
import Testing

extension AllTests {
    /// Requests that are not a valid opening handshake: each is refused, the server keeps running
    /// and serves the next connection.
    @Suite struct MalformedRequestTests {
        /// What the server does with a request.
        enum Outcome: Equatable, CustomStringConvertible {
            /// An HTTP response with this status, then the TCP connection ends.
            case refused(Int)
            /// The TCP connection ends with no response.
            case dropped
            /// 101: the upgrade was accepted.
            case upgraded

            var description: String {
                switch self {
                case .refused(let status): return "refused with \(status)"
                case .dropped: return "dropped"
                case .upgraded: return "upgraded"
                }
            }
        }

        static let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        static let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"

        /// The requests and lws 4.1.6's answers with this package. The two oversize ones are
        /// lws's own: its header parser runs out of `maxHTTPHeaderData` and hangs up without a
        /// response ("Ran out of header data space", "More hdr frags than we can deal with"). The
        /// garbage gets lws's own HTTP/1.0 403. The keys lws would accept with 101 (it checks
        /// only that one is there and under 128 bytes) this package refuses with 400, and an empty
        /// one too (lws would hang up without an answer).
        static let requests: [(name: String, bytes: [UInt8], expected: Outcome)] = [
            ("binary garbage", (0 ..< 1024).map { UInt8(truncatingIfNeeded: $0 &* 167 &+ 13) }, .refused(403)),
            ("a line of text that is not HTTP", Array("HELLO THERE\r\n\r\n".utf8), .refused(403)),
            ("a request line of 100 KiB",
             Array(("GET /" + String(repeating: "a", count: 100 << 10) + " HTTP/1.1\r\nHost: x\r\n" + upgrade + key + "\r\n").utf8),
             .dropped),
            ("1,000 headers",
             Array(("GET / HTTP/1.1\r\nHost: x\r\n" + upgrade + key + (0 ..< 1000).map { "X-Header-\($0): v\r\n" }.joined() + "\r\n").utf8),
             .dropped),
            ("a key that is not base64", Array(upgradeRequest(key: "not base64!!").utf8), .refused(400)),
            ("a key of 10 bytes", Array(upgradeRequest(key: "dGhlIHNhbXBsZQ==").utf8), .refused(400)),
            ("a key of 100 characters", Array(upgradeRequest(key: String(repeating: "A", count: 100)).utf8), .refused(400)),
            ("a key of 24 characters without padding", Array(upgradeRequest(key: String(repeating: "A", count: 24)).utf8), .refused(400)),
            ("an empty key", Array(upgradeRequest(key: "").utf8), .refused(400)),
        ]

        @Test(arguments: 0 ..< requests.count)
        func malformedRequestIsRefused(index: Int) async throws {
            let (name, bytes, expected) = Self.requests[index]
            try await withEchoConnection(timeout: 15) { bystander, server, client in
                let port = server.port!
                let (outcome, head) = try await onAThread { () -> (Outcome, String) in
                    let socket = try RawSocket(port: port, timeout: 5)
                    socket.write(bytes)
                    let head = socket.readHTTPHead()
                    let closed = socket.peerClosed()
                    let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) }
                    switch status {
                    case nil: return (closed ? .dropped : .upgraded, head)  // .upgraded: nothing, yet open
                    case 101: return (.upgraded, head)
                    case let status?: return (closed ? .refused(status) : .upgraded, head)
                    }
                }
                #expect(outcome == expected, "\(name): \(head.prefix(200))")
                try await expectEcho(bystander, "still here")
                #expect(server.stats.openConnections == 1, "\(name)")
                try await expectFreshEcho(client, server, "newcomer")
            }
        }

        @Test func invalidKeysAreCountedAsRefusals() async throws {
            try await withEchoConnection(timeout: 15) { _, server, _ in
                let port = server.port!
                let heads = try await onAThread {
                    try ["x", "dGhlIHNhbXBsZQ==", "not base64 at all!!!!!!!"].map { key in
                        let socket = try RawSocket(port: port)
                        socket.write(upgradeRequest(key: key))
                        return socket.readHTTPHead()
                    }
                }
                #expect(heads.allSatisfy { $0.hasPrefix("HTTP/1.1 400 Bad Request\r\n") }, "\(heads)")
                #expect(server.stats.refusedConnections == 3)
                #expect(server.stats.refusedOverCapacity == 0)
                #expect(server.stats.totalConnections == 1)
            }
        }
    }
}

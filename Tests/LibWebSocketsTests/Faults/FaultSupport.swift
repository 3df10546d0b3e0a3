import Foundation
@testable import LibWebSockets
import Testing
#if canImport(Glibc)
import Glibc
#endif

// What the fault tests share: a peer that vanishes with a reset, a server that records how each
// of its connections ended, and the healthy connection every fault test checks beside the fault.

extension RawSocket {
    /// Makes the coming `close` (this socket's deinit) send a TCP reset instead of a FIN, as
    /// when the peer's machine or process vanishes: SO_LINGER on, with a zero timeout.
    func resetOnClose() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }
}

/// How each connection of a ``recordingEchoServer`` ended, by request path.
typealias EndedByPath = Locked<[String: (messages: Int, result: WebSocketCloseResult, at: ContinuousClock.Instant)]>

/// An echo server that records, per request path, how many messages each connection got and
/// how it ended.
func recordingEchoServer(_ builder: LWSContextBuilder = .testServer(), ended: EndedByPath) throws -> LWSContext {
    try builder.onConnection { connection in
        var messages = 0
        do {
            for try await message in connection.messages {
                messages += 1
                try await connection.send(message)
            }
        } catch {}
        let result = await connection.closed()
        let now = ContinuousClock.now
        ended.withLock { $0[connection.info.path] = (messages, result, now) }
    }.build()
}

/// Waits up to `seconds` for `path` to appear in `ended`.
func waitForEnd(_ ended: EndedByPath, _ path: String, seconds: Double = 10) async throws -> (messages: Int, result: WebSocketCloseResult, at: ContinuousClock.Instant)? {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if let entry = ended.withLock({ $0[path] }) { return entry }
        try await Task.sleep(for: .milliseconds(10))
    }
    return nil
}

/// The healthy connection beside a fault: one text round trip on `connection`.
func expectEcho(_ connection: WebSocketConnection, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    try await connection.send(text: text)
    #expect(try await connection.nextMessage() == .text(text), sourceLocation: sourceLocation)
}

/// A fresh healthy connection: connects to `server` through `client` and checks one echo.
func expectFreshEcho(_ client: LWSContext, _ server: LWSContext, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let connection = try await client.connect(to: server.url)
    try await expectEcho(connection, text, sourceLocation: sourceLocation)
    _ = try await connection.close()
}

/// The opening handshake a raw client sends, with `key` as its `Sec-WebSocket-Key`.
func upgradeRequest(path: String = "/", key: String = "dGhlIHNhbXBsZSBub25jZQ==", extra: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\(extra)\r\n"
}

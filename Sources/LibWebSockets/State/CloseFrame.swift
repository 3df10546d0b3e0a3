/// The code and reason of a close frame, sent or received.
struct CloseFrame: Equatable {
    var code: WebSocketCloseCode
    var reason: String

    /// Parses the payload lws hands over in `WS_PEER_INITIATED_CLOSE`: a 2-byte big-endian
    /// code, then the reason. An empty payload means the peer sent no code (1005).
    /// - Parameter payload: the close frame's payload, as lws delivers it.
    init(payload: UnsafeRawBufferPointer) {
        guard payload.count >= 2 else {
            self.init(code: .noStatusReceived, reason: "")
            return
        }
        let code = WebSocketCloseCode(rawValue: UInt16(payload[0]) << 8 | UInt16(payload[1]))
        self.init(code: code, reason: String(decoding: UnsafeRawBufferPointer(rebasing: payload[2...]), as: UTF8.self))
    }

    init(code: WebSocketCloseCode, reason: String) {
        self.code = code
        self.reason = reason
    }
}

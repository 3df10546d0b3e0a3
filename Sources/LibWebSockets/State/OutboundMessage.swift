/// A message waiting to be written, and how much of it has gone out as fragments.
struct OutboundMessage {
    /// The WebSocket opcode of one frame: the first frame of a message carries the message's
    /// type, the rest are continuations. The lws layer maps it to `lws_write_protocol`.
    enum FrameKind: Equatable {
        case text
        case binary
        case continuation
    }

    let message: WebSocketMessage
    /// Bytes already handed to lws.
    var offset = 0

    var byteCount: Int { message.byteCount }
    var remaining: Int { byteCount - offset }

    /// The opcode and FIN bit of a fragment of `length` bytes starting at `offset`.
    func frame(length: Int) -> (kind: FrameKind, isFinal: Bool) {
        let kind: FrameKind
        if offset > 0 {
            kind = .continuation
        } else if case .text = message {
            kind = .text
        } else {
            kind = .binary
        }
        return (kind, offset + length == byteCount)
    }

    /// Calls `body` with the payload bytes `offset ..< offset + length`.
    func withFragment<R>(length: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch message {
        case .binary(let bytes):
            return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[offset ..< offset + length])) }
        case .text(var string):
            return string.withUTF8 { body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0)[offset ..< offset + length])) }
        }
    }
}

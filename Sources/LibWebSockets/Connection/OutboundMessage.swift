import CLibwebsockets

/// A message waiting to be written, and how much of it has gone out as fragments.
struct OutboundMessage {
    let message: WebSocketMessage
    /// Bytes already handed to lws.
    var offset = 0

    var byteCount: Int { message.byteCount }
    var remaining: Int { byteCount - offset }

    /// The `lws_write` protocol flags for a fragment of `length` bytes starting at `offset`.
    func writeFlags(fragmentLength length: Int) -> lws_write_protocol {
        let isFirst = offset == 0
        let isLast = offset + length == byteCount
        var flags: UInt32
        if isFirst {
            if case .text = message { flags = LWS_WRITE_TEXT.rawValue } else { flags = LWS_WRITE_BINARY.rawValue }
        } else {
            flags = LWS_WRITE_CONTINUATION.rawValue
        }
        if !isLast { flags |= LWS_WRITE_NO_FIN.rawValue }
        return lws_write_protocol(rawValue: flags)
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

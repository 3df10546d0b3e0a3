/// One whole WebSocket message, reassembled from however many frames and reads it took.
///
/// Binary payloads are `[UInt8]`: a received message is copied once out of lws's read buffer
/// into its array and handed over without further copies; a sent array is copied once into the
/// write buffer lws needs (with `LWS_PRE` headroom, masked in place for clients). Echoing a
/// received message back therefore costs exactly those two copies.
public enum WebSocketMessage: Sendable, Hashable {
    /// A text message, already validated as UTF-8.
    case text(String)
    /// A binary message.
    case binary([UInt8])

    /// The payload size in bytes.
    public var byteCount: Int {
        switch self {
        case .text(let string): return string.utf8.count
        case .binary(let bytes): return bytes.count
        }
    }
}

/// Something that arrived for the consumer of a connection, in order.
enum InboundEvent: Equatable {
    case message(WebSocketMessage)
    case pong([UInt8])

    /// What the event counts against `maxInboundBuffer`: its payload plus a fixed charge, so a
    /// peer that floods empty messages or pongs still makes lws stop reading.
    var bufferCost: Int {
        switch self {
        case .message(let message): return message.byteCount + Self.overhead
        case .pong(let payload): return payload.count + Self.overhead
        }
    }

    /// Roughly what one queued event costs in memory beyond its payload.
    static let overhead = 64
}

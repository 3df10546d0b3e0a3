/// Something that arrived for the consumer of a connection, in order.
enum InboundEvent {
    case message(WebSocketMessage)
    case pong([UInt8])
}

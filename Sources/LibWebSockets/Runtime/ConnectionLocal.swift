/// What only the service thread touches of a connection: lws's handle, reassembly, the client
/// handshake, and the server handler task's lock-free hand-off.
struct ConnectionLocal {
    /// lws's handle once the connection is open; `nil` before and after.
    var wsi: OpaquePointer?
    var assembler: MessageAssembler
    /// This side called `lws_close_reason`: data from the peer is dropped while we wait for its
    /// close frame, and WRITEABLE callbacks have nothing more to do.
    var closeFrameSent = false
    /// A compressed connection failed while lws drained inflated data, where lws ignores a
    /// RECEIVE's -1: the next WRITEABLE returns -1 instead.
    var hangUpWhenWriteable = false
    /// lws destroyed the wsi and gave back its retain on the box.
    var boxReleased = false
    /// A client connection's handshake, while it runs: set when the connect starts, `nil` once
    /// it succeeded or failed. The one place "connecting" is known on the service thread.
    var handshake: ClientHandshake?
    /// The server handler task, suspended on the service thread until an event may be waiting.
    var handlerWaiter: UnsafeContinuation<Void, Never>?
    /// Events queued and ends seen, counted so that the handler task, which runs on this same
    /// thread, can tell without the lock whether one came since it last looked.
    var serviceEvents: UInt64 = 0
    /// Events the handler task took. While it equals ``serviceEvents`` the handler task took
    /// every event there was, so the queue is empty and it can park without looking. (If
    /// another task took some, the two never meet again and the handler task always looks.)
    var handlerTaken: UInt64 = 0
    /// An event handed straight to the parked handler task, past the locked queue (which is
    /// empty whenever that task is parked). Counted in ``serviceEvents`` like any other.
    var handoff: InboundEvent?
    /// Set when permessage-deflate is on for this connection: the memory lws's compressor reads.
    var deflate: DeflateBuffers?
    /// The inline style's closures, from the 101 until `CLOSED` (``WebSocketInlineCallbacks``).
    var inline: InlineHandler?

    init(assembler: MessageAssembler) { self.assembler = assembler }
}

/// permessage-deflate (RFC 7692) for a server context, as lws 4.1.6 can do it. Off unless set
/// (``LWSConfiguration/compression``).
///
/// What lws 4.1.6 honours, read from its source (`extension-permessage-deflate.c`,
/// `server-ws.c`), and so all this type offers:
/// - It accepts a client's offer and echoes the offer's parameters that take no value,
///   `server_no_context_takeover` and `client_no_context_takeover`. It cannot ask a client for
///   a smaller window (`client_max_window_bits=N` in a response): its inflater always takes 15
///   bits, so that is never sent.
/// - It cannot answer `server_max_window_bits`, and would compress with a 15-bit window whatever
///   the client asked. This package answers the parameter itself and keeps lws's compressor to
///   the window asked for (9 to 15); an offer asking for 8 is declined, since zlib compresses
///   with no less than 9 (the connection opens uncompressed).
/// - The zlib compression level and memory level are lws's own per-connection settings.
/// - Every message is compressed, small or not: `lws_write` has no flag to send one plain.
///
/// Client connections offer `permessage-deflate; client_max_window_bits` (plus
/// `server_no_context_takeover` with ``requestServerNoContextTakeover`` and
/// `client_no_context_takeover` with ``offerClientNoContextTakeover``), and follow whatever the
/// server answers within RFC 7692, a smaller client window included.
///
/// Cost: zlib's state is allocated on a connection's first compressed message in each
/// direction. The deflater takes about `128 KiB + 2^(memoryLevel + 9)` bytes (256 KiB at the
/// default level 8), the inflater about 44 KiB, plus this package's per-connection buffers;
/// the README has the measured numbers.
public struct WebSocketCompression: Sendable, Hashable {
    /// zlib's compression level, 1 (fastest, lws's default) to 9 (smallest). Default 1.
    public var level: Int
    /// zlib's `memLevel`, 1 to 9: the deflater's hash table is `2^(memoryLevel + 9)` bytes.
    /// Lower costs less memory per connection and compresses a little worse. Default 8.
    public var memoryLevel: Int
    /// Client connections only: ask the server to reset its compressor after every message
    /// (`server_no_context_takeover`), which saves the server a window per connection and makes
    /// repetitive traffic compress worse. Default `false`.
    public var requestServerNoContextTakeover: Bool
    /// Client connections only: offer `client_no_context_takeover`, telling the server this
    /// client resets its compressor after every message when the server asks it to (some
    /// servers ask only then). Default `false`.
    public var offerClientNoContextTakeover: Bool

    /// - Parameters:
    ///   - level: zlib's compression level, 1 to 9. Default 1.
    ///   - memoryLevel: zlib's `memLevel`, 1 to 9. Default 8.
    ///   - requestServerNoContextTakeover: clients ask the server to reset its compressor after
    ///     every message. Default `false`.
    ///   - offerClientNoContextTakeover: clients offer to reset their own compressor after every
    ///     message. Default `false`.
    public init(
        level: Int = 1, memoryLevel: Int = 8, requestServerNoContextTakeover: Bool = false,
        offerClientNoContextTakeover: Bool = false
    ) {
        self.level = level
        self.memoryLevel = memoryLevel
        self.requestServerNoContextTakeover = requestServerNoContextTakeover
        self.offerClientNoContextTakeover = offerClientNoContextTakeover
    }

    /// What one connection agreed on. Both sides keep 15-bit windows.
    public struct Negotiated: Sendable, Hashable {
        /// The server resets its compressor after every message (the client asked).
        public var serverNoContextTakeover: Bool
        /// The client resets its compressor after every message (the client offered).
        public var clientNoContextTakeover: Bool
        /// The server compresses with a window of `2^serverMaxWindowBits` bytes (the client may
        /// ask for 9 to 15; 15 when it did not).
        public var serverMaxWindowBits: Int
        /// The client compresses with a window of `2^clientMaxWindowBits` bytes. A server of this
        /// package never asks for less than 15; another server may ask this package's client.
        public var clientMaxWindowBits: Int

        /// - Parameters:
        ///   - serverNoContextTakeover: the server resets its compressor after every message.
        ///   - clientNoContextTakeover: the client resets its compressor after every message.
        ///   - serverMaxWindowBits: the server's compression window, 9 to 15.
        ///   - clientMaxWindowBits: the client's compression window, 9 to 15.
        public init(
            serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false, serverMaxWindowBits: Int = 15,
            clientMaxWindowBits: Int = 15
        ) {
            self.serverNoContextTakeover = serverNoContextTakeover
            self.clientNoContextTakeover = clientNoContextTakeover
            self.serverMaxWindowBits = serverMaxWindowBits
            self.clientMaxWindowBits = clientMaxWindowBits
        }
    }

    /// Estimated bytes of zlib state and buffers one connection holds once it has compressed
    /// and inflated a message: deflater, inflater, lws's two 16 KiB step buffers, and this
    /// package's input copy (16 KiB). Counted per connection in the context's memory estimate.
    public var estimatedBytesPerActiveConnection: Int {
        let deflater = (1 << 17) + (1 << (memoryLevel + 9)) + 6 * 1024
        let inflater = (1 << 15) + 7 * 1024
        return deflater + inflater + 3 * (16 << 10)
    }
}

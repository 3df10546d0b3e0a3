import Logging

/// Everything a context is created with. Every field has a finite, documented default.
///
/// Most users go through ``LWSContext/builder()``; the struct is public so a configuration can be
/// stored, compared and passed around.
public struct LWSConfiguration: Sendable {
    /// Where the server listens. `nil` (the default) makes a client-only context.
    public var listen: ListenAddress?
    /// TLS for the listener, which then serves `wss://` only. Default `nil`: plain `ws://`.
    public var tls: TLSServerConfiguration?
    /// A second listener, serving plain `ws://` beside the `wss://` one on ``listen``: for a
    /// TLS-terminating proxy in front, or local clients. Only with ``tls``. Default `nil`.
    /// Both listeners share ``maxConnections``, and each takes one fd slot of the budget.
    public var plainListen: ListenAddress?
    /// Folders served over plain HTTP on the listeners, through lws's own file mount; see
    /// ``StaticFiles``. Default none. Each HTTP connection counts toward ``maxConnections``
    /// while it is open (lws closes idle keep-alive connections after 5 s).
    public var staticFiles: [StaticFiles] = []
    /// Request headers outside lws's list of well-known names that requests should carry in
    /// their `headers` (upgrades, connections and routes). lws 4.1.6 parses about 100 names
    /// (`authorization`, `cookie`, `origin`, `x-forwarded-for`, `x-auth-token`, ...) and keeps
    /// any other only for lookup by name, so it cannot list them: name the ones you read here.
    /// Default `["x-api-key", "x-request-id", "x-forwarded-proto", "x-forwarded-host"]`.
    public var customRequestHeaders: [String] = ["x-api-key", "x-request-id", "x-forwarded-proto", "x-forwarded-host"]
    /// How client connections verify `wss://` servers. Default: the system's trust store, with
    /// the hostname checked.
    public var clientTLS: TLSClientConfiguration = .default
    /// WebSocket connections the context serves at once, accepted and outgoing together.
    /// Beyond it, new connections are refused at once. Default 1024.
    public var maxConnections: Int = 1024
    /// The fd budget policy. Default ``FDBudget/automatic``: `maxConnections` + listeners (0 to 2) + 1
    /// (lws's wake pipe) + refusal headroom (`max(8, maxConnections / 16)`), capped at the soft
    /// open-file limit; at a soft limit of 1048576 a listening context gets 1090 (1092 slots,
    /// 17,472 bytes of fd tables). Where the soft limit is at most 65536 and `maxConnections` is
    /// over 128, it gets the full table instead (at most 1 MiB), which is faster with many
    /// busy connections; see ``FDBudget/automatic`` for the measurements.
    public var fdBudget: FDBudget = .automatic
    /// lws `rx_buffer_size`: the largest chunk one read delivers, allocated per connection at
    /// upgrade. Default 65536. The buffer's pages become resident only as data arrives: 5000
    /// idle connections cost the same with 4096 (lws's own default) as with 65536, while a
    /// 64 KiB message needs one read instead of sixteen (the C anchor's 64 KiB echo runs at about
    /// three times the throughput with it). A connection that receives large messages keeps up
    /// to this much resident.
    public var rxBufferSize: Int = 65536
    /// lws `pt_serv_buf_size`: the per-thread scratch buffer for HTTP headers and reads.
    /// Default 0, lws's own (4096 bytes).
    public var serviceBufferSize: Int = 0
    /// lws `max_http_header_data`: bytes of request headers lws keeps per connection during the
    /// handshake. Default 4096, lws's own.
    public var maxHTTPHeaderData: Int = 4096
    /// lws `max_http_header_pool`: handshakes that may hold a header table at once. Default 32.
    public var maxHTTPHeaderPool: Int = 32
    /// Time a peer has to finish the HTTP upgrade (lws `timeout_secs`, and `timeout_secs_ah_idle`
    /// for a peer still sending its request headers). Default 10 s; whole seconds.
    public var handshakeTimeout: Duration = .seconds(10)
    /// Time an outgoing connect may take, DNS excluded (lws `connect_timeout_secs`). Default 10 s.
    public var connectTimeout: Duration = .seconds(10)
    /// Send a ping when nothing confirmed the peer alive for this long (lws
    /// `secs_since_valid_ping`). Only a pong confirms. Default 30 s; whole seconds.
    public var pingInterval: Duration = .seconds(30)
    /// Drop the connection when nothing confirmed the peer alive for this long (lws
    /// `secs_since_valid_hangup`). Must be after `pingInterval`. Default 60 s; whole seconds.
    public var idleTimeout: Duration = .seconds(60)
    /// Largest incoming message, after reassembly. A larger one closes the connection with 1009.
    /// Default 16 MiB.
    public var maxMessageSize: Int = 16 << 20
    /// Largest outgoing frame. Longer messages go out as fragments, one per WRITEABLE, so one
    /// big send never lands whole in lws's heap or holds up other connections. Default 64 KiB.
    public var maxFrameSize: Int = 64 << 10
    /// Outbound bytes queued per connection before `send` suspends (and `trySend` throws
    /// ``LWSError/bufferFull``). Default 1 MiB.
    public var maxBackpressure: Int = 1 << 20
    /// Received, unconsumed bytes per connection (payloads plus 64 bytes per queued message or
    /// pong, so floods of empty ones count too) before lws stops reading from the socket
    /// (`lws_rx_flow_control`). Reading resumes when the consumer drains the buffer. Default 1 MiB.
    public var maxInboundBuffer: Int = 1 << 20
    /// Time `close(code:reason:)` waits for the peer's close frame before dropping the socket.
    /// Default 5 s.
    public var closeTimeout: Duration = .seconds(5)
    /// Time `shutdown()` lets connections close with 1001 before destroying the context.
    /// Default 5 s.
    public var shutdownGracePeriod: Duration = .seconds(5)
    /// lws context options. Default ``LWSServerOptions/default`` (UTF-8 validation on).
    public var serverOptions: LWSServerOptions = .default
    /// Subprotocols the server accepts. lws picks the first of the *client's* offered names that
    /// is in this list (the client's preference, not the server's); a client that asks for none
    /// is served too. Default: none.
    public var subprotocols: [String] = []
    /// Origins allowed to open a WebSocket, compared exactly as browsers send them
    /// ("https://example.com", "http://localhost:8080"). Others get HTTP 403 before the upgrade.
    /// A request without an Origin is not from a browser page and is allowed. Default `nil`:
    /// any origin (set it for servers that browsers reach, against cross-site WebSocket hijacking).
    public var allowedOrigins: Set<String>?
    /// WebSocket connections one remote address may hold at once; more get HTTP 429 before the
    /// upgrade. The address is ``WebSocketUpgradeRequest/remoteAddress`` (behind a trusted proxy,
    /// the client's). Default `nil`: no cap beyond `maxConnections`.
    public var maxConnectionsPerAddress: Int?
    /// Peer addresses whose `X-Forwarded-For` header is believed (your reverse proxies). Default
    /// none: the remote address is always the TCP peer's.
    public var trustedProxies: [String] = []
    /// permessage-deflate, for connections this context accepts (a client's offer is taken when
    /// lws can honour it) and opens (they offer it); see ``WebSocketCompression`` for what lws
    /// 4.1.6 can negotiate. Default `nil`: off; offers are declined and clients offer nothing.
    public var compression: WebSocketCompression?
    /// Where connection handlers run. Default ``HandlerExecutor/serviceThread``.
    public var handlerExecutor: HandlerExecutor = .serviceThread
    /// The lws log levels bridged to swift-log. lws's log is process-wide, so the last context
    /// created sets it for all. Default `[.error, .warning]`.
    public var lwsLogLevels: LWSLogLevels = [.error, .warning]
    /// This package's own logger (context start, refusals). Default label "LibWebSockets".
    public var logger: Logger = Logger(label: "LibWebSockets")

    /// A configuration with every default.
    public init() {}

    /// A host and port to listen on.
    public struct ListenAddress: Sendable, Hashable {
        /// An IP address or interface name; `nil` listens on all.
        public var host: String?
        /// The TCP port; 0 picks a free one, readable as ``LWSContext/port`` after start.
        public var port: Int

        /// - Parameters:
        ///   - host: an IP address or interface name; `nil` listens on all.
        ///   - port: the TCP port; 0 picks a free one.
        public init(host: String?, port: Int) {
            self.host = host
            self.port = port
        }
    }

    /// Where connection handlers and the closures of the closure style run.
    public enum HandlerExecutor: Sendable {
        /// On the context's service thread, between `lws_service` calls: no thread hop per
        /// message. Handlers must not block.
        case serviceThread
        /// On Swift's global concurrent executor, for handlers that do heavy or blocking work.
        case globalConcurrent
    }

    /// Checks every field. `build()` calls it; it is public so tools can validate early.
    /// - Throws: ``LWSError/invalidConfiguration(_:)`` naming the first bad field.
    public func validate() throws {
        func positive(_ value: Int, _ name: String) throws {
            guard value > 0 else { throw LWSError.invalidConfiguration("\(name) must be positive, got \(value)") }
        }
        func inRange(_ value: Int, _ name: String, _ range: ClosedRange<Int>) throws {
            guard range.contains(value) else {
                throw LWSError.invalidConfiguration("\(name) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
            }
        }
        try positive(maxConnections, "maxConnections")
        try inRange(rxBufferSize, "rxBufferSize", 0...(16 << 20))
        try inRange(serviceBufferSize, "serviceBufferSize", 0...(16 << 20))
        try inRange(maxHTTPHeaderData, "maxHTTPHeaderData", 256...Int(UInt16.max))
        try inRange(maxHTTPHeaderPool, "maxHTTPHeaderPool", 1...Int(UInt16.max))
        try positive(maxMessageSize, "maxMessageSize")
        try positive(maxFrameSize, "maxFrameSize")
        try positive(maxBackpressure, "maxBackpressure")
        try positive(maxInboundBuffer, "maxInboundBuffer")
        for (value, name) in [(handshakeTimeout, "handshakeTimeout"), (connectTimeout, "connectTimeout"),
                              (closeTimeout, "closeTimeout")] {
            guard value > .zero else { throw LWSError.invalidConfiguration("\(name) must be positive") }
        }
        guard shutdownGracePeriod >= .zero else { throw LWSError.invalidConfiguration("shutdownGracePeriod must not be negative") }
        let ping = pingInterval.wholeSeconds, hangUp = idleTimeout.wholeSeconds
        try inRange(ping, "pingInterval (seconds)", 1...Int(UInt16.max))
        try inRange(hangUp, "idleTimeout (seconds)", 1...Int(UInt16.max))
        guard hangUp > ping else {
            throw LWSError.invalidConfiguration("idleTimeout (\(hangUp) s) must be after pingInterval (\(ping) s)")
        }
        if let listen {
            try inRange(listen.port, "port", 0...65535)
        }
        if let plainListen {
            try inRange(plainListen.port, "plainListen port", 0...65535)
            guard tls != nil, let listen else {
                throw LWSError.invalidConfiguration("plainListen is a second, plain listener beside a TLS one: it needs listen(host:port:) and tls(...)")
            }
            guard plainListen.port == 0 || plainListen.port != listen.port else {
                throw LWSError.invalidConfiguration("plainListen and listen both ask for port \(listen.port)")
            }
        }
        for files in staticFiles {
            try inRange(files.cacheMaxAge, "staticFiles cacheMaxAge", 0...Int(Int32.max))
            guard !files.indexFile.isEmpty, !files.indexFile.contains("/") else {
                throw LWSError.invalidConfiguration("staticFiles indexFile \"\(files.indexFile)\" must be a file name")
            }
        }
        if !staticFiles.isEmpty, listen == nil {
            throw LWSError.invalidConfiguration("staticFiles needs listen(host:port:)")
        }
        if let compression {
            try inRange(compression.level, "compression level", 1...9)
            try inRange(compression.memoryLevel, "compression memoryLevel", 1...9)
            // lws's permessage-deflate refuses to start on a connection with a smaller buffer.
            guard rxBufferSize == 0 || rxBufferSize >= 128 else {
                throw LWSError.invalidConfiguration("compression needs rxBufferSize of at least 128 bytes, got \(rxBufferSize)")
            }
        }
        if case .fixed(let n) = fdBudget { try positive(n, "fdBudget") }
        if let maxConnectionsPerAddress { try positive(maxConnectionsPerAddress, "maxConnectionsPerAddress") }
        guard serverOptions.isSubset(of: .known) else {
            let unknown = serverOptions.subtracting(.known).rawValue
            throw LWSError.invalidConfiguration("serverOptions has unknown bits 0x\(String(unknown, radix: 16))")
        }
        for name in subprotocols where name.isEmpty || name.utf8.contains(where: { $0 <= 32 || $0 == UInt8(ascii: ",") }) {
            throw LWSError.invalidConfiguration("subprotocol \"\(name)\" is not a valid token")
        }
    }
}

extension Duration {
    /// Whole seconds, rounded up, for lws fields kept in seconds.
    var wholeSeconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }
}

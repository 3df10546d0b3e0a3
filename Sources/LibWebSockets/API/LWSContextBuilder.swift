import Logging

/// Builds an ``LWSContext``: `LWSContext.builder().maxConnections(200).build()`.
///
/// Each method returns a changed copy; nothing is checked until ``build()``.
public struct LWSContextBuilder: Sendable {
    /// The configuration so far.
    public var configuration = LWSConfiguration()
    private var handler: (@Sendable (WebSocketConnection) async throws -> Void)?
    private var callbacks = WebSocketCallbacks()
    private var inlineCallbacks: WebSocketInlineCallbacks?
    private var upgradeHook: (@Sendable (WebSocketUpgradeRequest) throws -> WebSocketUpgradeDecision)?
    private var authorize: (@Sendable (WebSocketConnection) async throws -> Bool)?
    private var routes: [String: @Sendable (HTTPRouteRequest) async throws -> HTTPRouteResponse] = [:]

    /// A builder with every default.
    public init() {}

    private func with(_ change: (inout Self) -> Void) -> Self {
        var copy = self
        change(&copy)
        return copy
    }

    /// Listens for WebSocket connections.
    /// - Parameters:
    ///   - host: an IP address or interface name; `nil` for all. Default "127.0.0.1".
    ///   - port: the TCP port; 0 picks a free one (read it from ``LWSContext/port``).
    public func listen(host: String? = "127.0.0.1", port: Int) -> Self {
        with { $0.configuration.listen = .init(host: host, port: port) }
    }
    /// Listens for plain `ws://` too, beside the `wss://` listener that ``listen(host:port:)``
    /// and `tls(...)` make; see ``LWSConfiguration/plainListen``.
    /// - Parameters:
    ///   - host: an IP address or interface name; `nil` for all. Default "127.0.0.1".
    ///   - port: the TCP port; 0 picks a free one (read it from ``LWSContext/plainPort``).
    public func plainListen(host: String? = "127.0.0.1", port: Int) -> Self {
        with { $0.configuration.plainListen = .init(host: host, port: port) }
    }
    /// Serves `wss://` on the listener with this certificate chain and key (PEM files).
    /// `build()` checks that both load and match, and throws ``LWSError/invalidConfiguration(_:)``
    /// naming the file and OpenSSL's reason otherwise.
    /// - Parameters:
    ///   - certificateChainPath: the PEM chain, leaf first.
    ///   - privateKeyPath: the PEM private key (RSA or EC).
    ///   - clientCertificateTrustRootsPath: for mutual TLS, the CAs client certificates must
    ///     chain to; see ``TLSServerConfiguration/clientCertificateTrustRootsPath``.
    public func tls(certificateChainPath: String, privateKeyPath: String, clientCertificateTrustRootsPath: String? = nil) -> Self {
        with {
            $0.configuration.tls = .init(
                certificateChainPath: certificateChainPath, privateKeyPath: privateKeyPath,
                clientCertificateTrustRootsPath: clientCertificateTrustRootsPath)
        }
    }
    /// Serves `wss://` on the listener with a certificate and key held in memory as PEM text.
    /// lws 4.1.6 takes only one PEM block of each: see ``TLSServerConfiguration/Identity/pem(certificate:privateKey:)``.
    /// - Parameters:
    ///   - certificatePEM: one PEM certificate.
    ///   - privateKeyPEM: its PEM private key (RSA or EC).
    public func tls(certificatePEM: String, privateKeyPEM: String) -> Self {
        with { $0.configuration.tls = .init(identity: .pem(certificate: certificatePEM, privateKey: privateKeyPEM)) }
    }
    /// - Parameter value: see ``LWSConfiguration/clientTLS``.
    public func clientTLS(_ value: TLSClientConfiguration) -> Self { with { $0.configuration.clientTLS = value } }
    /// - Parameter value: see ``LWSConfiguration/maxConnections``.
    public func maxConnections(_ value: Int) -> Self { with { $0.configuration.maxConnections = value } }
    /// - Parameter value: see ``LWSConfiguration/fdBudget``.
    public func fdBudget(_ value: FDBudget) -> Self { with { $0.configuration.fdBudget = value } }
    /// - Parameter value: see ``LWSConfiguration/rxBufferSize``.
    public func rxBufferSize(_ value: Int) -> Self { with { $0.configuration.rxBufferSize = value } }
    /// - Parameter value: see ``LWSConfiguration/serviceBufferSize``.
    public func serviceBufferSize(_ value: Int) -> Self { with { $0.configuration.serviceBufferSize = value } }
    /// - Parameter value: see ``LWSConfiguration/maxHTTPHeaderData``.
    public func maxHTTPHeaderData(_ value: Int) -> Self { with { $0.configuration.maxHTTPHeaderData = value } }
    /// - Parameter value: see ``LWSConfiguration/maxHTTPHeaderPool``.
    public func maxHTTPHeaderPool(_ value: Int) -> Self { with { $0.configuration.maxHTTPHeaderPool = value } }
    /// - Parameter value: see ``LWSConfiguration/handshakeTimeout``.
    public func handshakeTimeout(_ value: Duration) -> Self { with { $0.configuration.handshakeTimeout = value } }
    /// - Parameter value: see ``LWSConfiguration/connectTimeout``.
    public func connectTimeout(_ value: Duration) -> Self { with { $0.configuration.connectTimeout = value } }
    /// Pings after `pingAfter` of silence and drops the peer after `hangUpAfter` without a pong.
    /// - Parameters:
    ///   - hangUpAfter: see ``LWSConfiguration/idleTimeout``.
    ///   - pingAfter: see ``LWSConfiguration/pingInterval``; default half of `hangUpAfter`.
    public func idleTimeout(_ hangUpAfter: Duration, pingAfter: Duration? = nil) -> Self {
        with {
            $0.configuration.idleTimeout = hangUpAfter
            $0.configuration.pingInterval = pingAfter ?? .seconds(max(1, hangUpAfter.wholeSeconds / 2))
        }
    }
    /// Turns on permessage-deflate for accepted and opened connections; see ``WebSocketCompression``.
    /// - Parameter value: the zlib levels. Default ``WebSocketCompression/init(level:memoryLevel:)``.
    public func compression(_ value: WebSocketCompression = WebSocketCompression()) -> Self {
        with { $0.configuration.compression = value }
    }
    /// - Parameter value: see ``LWSConfiguration/maxMessageSize``.
    public func maxMessageSize(_ value: Int) -> Self { with { $0.configuration.maxMessageSize = value } }
    /// - Parameter value: see ``LWSConfiguration/maxFrameSize``.
    public func maxFrameSize(_ value: Int) -> Self { with { $0.configuration.maxFrameSize = value } }
    /// - Parameter value: see ``LWSConfiguration/maxBackpressure``.
    public func maxBackpressure(_ value: Int) -> Self { with { $0.configuration.maxBackpressure = value } }
    /// - Parameter value: see ``LWSConfiguration/maxInboundBuffer``.
    public func maxInboundBuffer(_ value: Int) -> Self { with { $0.configuration.maxInboundBuffer = value } }
    /// - Parameter value: see ``LWSConfiguration/closeTimeout``.
    public func closeTimeout(_ value: Duration) -> Self { with { $0.configuration.closeTimeout = value } }
    /// - Parameter value: see ``LWSConfiguration/shutdownGracePeriod``.
    public func shutdownGracePeriod(_ value: Duration) -> Self { with { $0.configuration.shutdownGracePeriod = value } }
    /// - Parameter value: see ``LWSConfiguration/serverOptions``.
    public func serverOptions(_ value: LWSServerOptions) -> Self { with { $0.configuration.serverOptions = value } }
    /// - Parameter value: see ``LWSConfiguration/subprotocols``.
    public func subprotocols(_ value: [String]) -> Self { with { $0.configuration.subprotocols = value } }
    /// - Parameter value: see ``LWSConfiguration/handlerExecutor``.
    public func handlerExecutor(_ value: LWSConfiguration.HandlerExecutor) -> Self {
        with { $0.configuration.handlerExecutor = value }
    }
    /// - Parameter value: see ``LWSConfiguration/lwsLogLevels``.
    public func lwsLogLevels(_ value: LWSLogLevels) -> Self { with { $0.configuration.lwsLogLevels = value } }
    /// - Parameter value: see ``LWSConfiguration/logger``.
    public func logger(_ value: Logger) -> Self { with { $0.configuration.logger = value } }

    /// Serves each connection with an async handler, run on the handler executor. The
    /// connection closes with 1000 when it returns and with 1011 when it throws.
    /// - Parameter handler: e.g. `{ c in for try await m in c.messages { try await c.send(m) } }`.
    public func onConnection(_ handler: @escaping @Sendable (WebSocketConnection) async throws -> Void) -> Self {
        with { $0.handler = handler }
    }
    /// - Parameter body: see ``WebSocketCallbacks/onOpen``.
    public func onOpen(_ body: @escaping @Sendable (WebSocketConnection) async -> Void) -> Self {
        with { $0.callbacks.onOpen = body }
    }
    /// - Parameter body: see ``WebSocketCallbacks/onText``.
    public func onText(_ body: @escaping @Sendable (WebSocketConnection, String) async -> Void) -> Self {
        with { $0.callbacks.onText = body }
    }
    /// - Parameter body: see ``WebSocketCallbacks/onBinary``.
    public func onBinary(_ body: @escaping @Sendable (WebSocketConnection, [UInt8]) async -> Void) -> Self {
        with { $0.callbacks.onBinary = body }
    }
    /// - Parameter body: see ``WebSocketCallbacks/onPong``.
    public func onPong(_ body: @escaping @Sendable (WebSocketConnection, [UInt8]) async -> Void) -> Self {
        with { $0.callbacks.onPong = body }
    }
    /// - Parameter body: see ``WebSocketCallbacks/onClose``.
    public func onClose(_ body: @escaping @Sendable (WebSocketConnection, WebSocketCloseCode, String) async -> Void) -> Self {
        with { $0.callbacks.onClose = body }
    }

    /// Decides each upgrade request before the server answers 101: accept it (with extra
    /// response headers and a value handed on to the connection's `userState`), or reject it
    /// with an HTTP status, headers and a short body, which every HTTP/1.1 client can read.
    ///
    /// lws acts on the answer at once, so the hook is synchronous and runs on the service
    /// thread: it **must not block** (a warning is logged when it takes over 10 ms). Look up
    /// what it needs in memory; for checks that must wait on I/O, use ``authorize(_:)``. If it
    /// throws, the request gets HTTP 500 and the error is logged. It runs after the
    /// ``LWSConfiguration/allowedOrigins`` and ``LWSConfiguration/maxConnectionsPerAddress`` checks.
    /// - Parameter hook: e.g. `{ request in request.headers["authorization"] == "Bearer t0k3n" ? .accept : .reject(status: 401) }`.
    public func onUpgrade(_ hook: @escaping @Sendable (WebSocketUpgradeRequest) throws -> WebSocketUpgradeDecision) -> Self {
        with { $0.upgradeHook = hook }
    }
    /// An async check that runs after the 101 and before the handler sees any message (for
    /// example a token lookup in a database). `false` closes the connection with 1008; a thrown
    /// error closes it with 1011. Messages that arrive meanwhile wait, counted against
    /// `maxInboundBuffer`.
    /// - Parameter check: returns whether the connection may go on.
    public func authorize(_ check: @escaping @Sendable (WebSocketConnection) async throws -> Bool) -> Self {
        with { $0.authorize = check }
    }
    /// Answers plain HTTP `GET` and `HEAD` requests for exactly `path` (the query aside), for
    /// example a health check: `.route("/healthz") { _ in .text("ok") }`. The handler runs off
    /// the service thread and must answer within ``LWSConfiguration/handshakeTimeout``, when lws
    /// drops the connection. If it throws, the request gets 500 and the error is logged. Other
    /// methods get 405; paths no route or folder serves get 404. A second route for the same
    /// path replaces the first.
    /// - Parameters:
    ///   - path: the exact path, e.g. "/healthz".
    ///   - handler: makes the response.
    public func route(_ path: String, _ handler: @escaping @Sendable (HTTPRouteRequest) async throws -> HTTPRouteResponse) -> Self {
        with { $0.routes[path] = handler }
    }
    /// Serves the files of `directory` over plain HTTP at `urlPrefix`, through lws's own file
    /// mount: content types by suffix, `index.html` for a folder, 404 for a missing file, 403
    /// for a symlink that leads outside the folder. lws answers exactly the prefix ("/assets")
    /// with its own `HTTP/1.0 301` to "/assets/", WebSocket upgrades included; see
    /// ``StaticFiles/urlPrefix``.
    /// - Parameters:
    ///   - directory: the folder on disk; `build()` checks it can be read.
    ///   - urlPrefix: "/" (the default) or a path without a trailing slash.
    public func serveFiles(from directory: String, at urlPrefix: String = "/") -> Self {
        with { $0.configuration.staticFiles.append(StaticFiles(directory: directory, urlPrefix: urlPrefix)) }
    }
    /// - Parameter names: see ``LWSConfiguration/customRequestHeaders``; added to the defaults.
    public func customRequestHeaders(_ names: [String]) -> Self { with { $0.configuration.customRequestHeaders += names } }
    /// - Parameter origins: see ``LWSConfiguration/allowedOrigins``.
    public func allowedOrigins(_ origins: Set<String>?) -> Self { with { $0.configuration.allowedOrigins = origins } }
    /// - Parameter value: see ``LWSConfiguration/maxConnectionsPerAddress``.
    public func maxConnectionsPerAddress(_ value: Int?) -> Self { with { $0.configuration.maxConnectionsPerAddress = value } }
    /// - Parameter addresses: see ``LWSConfiguration/trustedProxies``.
    public func trustedProxies(_ addresses: [String]) -> Self { with { $0.configuration.trustedProxies = addresses } }

    /// Serves connections in the inline style: synchronous closures called straight from lws's
    /// callbacks on the service thread, the fastest path. They must not block; see
    /// ``WebSocketInlineCallbacks``. Instead of `onConnection` and the closure style.
    /// - Parameter callbacks: the closures, and the slow-handler warning.
    public func inline(_ callbacks: WebSocketInlineCallbacks) -> Self { with { $0.inlineCallbacks = callbacks } }

    /// Validates the configuration, creates the lws context and starts its service thread.
    /// - Returns: the running context.
    /// - Throws: ``LWSError/invalidConfiguration(_:)`` or ``LWSError/contextCreationFailed(_:)``.
    public func build() throws -> LWSContext {
        try LWSContext(
            configuration: configuration, handler: handler, callbacks: callbacks, inline: inlineCallbacks, upgradeHook: upgradeHook,
            authorize: authorize, routes: routes)
    }
}

/// The one owner of an lws context: its service thread, its listen socket, its connections.
///
/// ```swift
/// let context = try LWSContext.builder()
///     .listen(host: "127.0.0.1", port: 0)
///     .onConnection { connection in
///         for try await message in connection.messages { try await connection.send(message) }
///     }
///     .build()
/// ```
///
/// Every lws call happens on the context's service thread; this handle may be used from any
/// thread or task. Releasing it without ``shutdown()`` starts a graceful shutdown in the
/// background: no callback ever reaches a freed object.
public final class LWSContext: Sendable {
    let engine: ContextEngine

    /// A builder with every default; see ``LWSConfiguration`` for them.
    public static func builder() -> LWSContextBuilder { LWSContextBuilder() }

    /// Creates and starts a context.
    /// - Parameters:
    ///   - configuration: the limits and options.
    ///   - handler: what the server does with each connection; required when listening.
    ///   - callbacks: the closure style instead of `handler`.
    ///   - inline: the inline style instead of either; see ``WebSocketInlineCallbacks``.
    ///   - upgradeHook: decides each upgrade before the 101; see ``LWSContextBuilder/onUpgrade(_:)``.
    ///   - authorize: an async check after the 101; see ``LWSContextBuilder/authorize(_:)``.
    ///   - routes: plain HTTP handlers by exact path; see ``LWSContextBuilder/route(_:_:)``.
    /// - Throws: ``LWSError/invalidConfiguration(_:)`` or ``LWSError/contextCreationFailed(_:)``.
    public convenience init(
        configuration: LWSConfiguration,
        handler: (@Sendable (WebSocketConnection) async throws -> Void)? = nil,
        callbacks: WebSocketCallbacks = WebSocketCallbacks(),
        inline: WebSocketInlineCallbacks? = nil,
        upgradeHook: (@Sendable (WebSocketUpgradeRequest) throws -> WebSocketUpgradeDecision)? = nil,
        authorize: (@Sendable (WebSocketConnection) async throws -> Bool)? = nil,
        routes: [String: @Sendable (HTTPRouteRequest) async throws -> HTTPRouteResponse] = [:]
    ) throws {
        try configuration.validate()
        try ContextEngine.validateTLS(configuration)
        try ContextEngine.validateStaticFiles(configuration)
        if !routes.isEmpty, configuration.listen == nil {
            throw LWSError.invalidConfiguration("routes need listen(host:port:)")
        }
        let routeTable = try HTTPRouteTable(
            routePaths: Array(routes.keys), filePrefixes: configuration.staticFiles.map(\.urlPrefix))
        if handler != nil, !callbacks.isEmpty {
            throw LWSError.invalidConfiguration("set either an async handler or callbacks, not both")
        }
        if inline != nil, handler != nil || !callbacks.isEmpty {
            throw LWSError.invalidConfiguration("set one handler style: an async handler, callbacks or inline callbacks")
        }
        if inline != nil, authorize != nil {
            throw LWSError.invalidConfiguration("authorize is async and cannot gate inline callbacks; decide in onUpgrade instead")
        }
        if let inline, inline.slowHandlerWarning <= .zero {
            throw LWSError.invalidConfiguration("inline slowHandlerWarning must be positive")
        }
        var connectionHandler = handler.map(ConnectionHandler.init) ?? (callbacks.isEmpty ? nil : ConnectionHandler(callbacks: callbacks))
        connectionHandler?.openCheck = authorize
        if configuration.listen != nil, connectionHandler == nil, inline == nil {
            throw LWSError.invalidConfiguration("a listening context needs onConnection, callbacks or inline callbacks")
        }
        if let plain = configuration.plainListen, !PortProbe.isFree(host: plain.host, port: plain.port) {
            throw LWSError.contextCreationFailed(
                "the plain listener on \(plain.host ?? "*"):\(plain.port) could not start; is the port in use?")
        }
        let limits = OpenFileLimits.current()
        let plan = try FDBudgetPlan.make(
            budget: configuration.fdBudget, maxConnections: configuration.maxConnections,
            listeners: (configuration.listen == nil ? 0 : 1) + (configuration.plainListen == nil ? 0 : 1), softLimit: limits.soft, hardLimit: limits.hard)
        try self.init(engine: ContextEngine(
            configuration: configuration, plan: plan, handler: connectionHandler, inline: inline, upgradeHook: upgradeHook,
            routes: routes, routeTable: routeTable))
    }

    private init(engine: ContextEngine) throws {
        self.engine = engine
        try engine.start()
    }

    deinit {
        engine.requestShutdown(gracePeriod: engine.configuration.shutdownGracePeriod)
    }

    /// The configuration the context was built with.
    public var configuration: LWSConfiguration { engine.configuration }

    /// The bound port when listening (the real one when 0 was asked for), else `nil`.
    public var port: Int? { engine.listenPort }

    /// The bound port of the plain ``LWSConfiguration/plainListen`` listener, else `nil`.
    public var plainPort: Int? { engine.plainListenPort }

    /// The fd budget given to lws and what its tables cost.
    public var fdBudget: FDBudgetPlan { engine.plan }

    /// The fd slots lws was given (`fd_limit_per_thread`); 0 only with ``FDBudget/lwsDefault``.
    public var fdLimitPerThread: Int { engine.plan.fdLimitPerThread }

    /// Bytes lws allocates, zero-filled and resident, for its fd tables.
    public var estimatedFDTableBytes: Int { engine.plan.estimatedFDTableBytes }

    /// The most memory permessage-deflate can take: every one of ``LWSConfiguration/maxConnections``
    /// compressing and inflating at once, at
    /// ``WebSocketCompression/estimatedBytesPerActiveConnection`` each. 0 with compression off.
    /// (An idle compressed connection holds none of it: zlib's state is made on its first
    /// compressed message each way.)
    public var estimatedCompressionBytes: Int {
        engine.configuration.compression.map { $0.estimatedBytesPerActiveConnection * engine.configuration.maxConnections } ?? 0
    }

    /// Connection and traffic counters.
    public var stats: LWSContextStats.Snapshot { engine.stats.snapshot }

    /// Opens a client connection.
    ///
    /// Host names are resolved off the service thread; the Host header keeps the name.
    /// - Parameters:
    ///   - url: `ws://host[:port][/path]` or `wss://…`, verified as ``LWSConfiguration/clientTLS`` says.
    ///   - headers: extra request headers.
    ///   - subprotocols: subprotocols to offer, in order of preference.
    ///   - origin: the Origin header, sent as given; defaults to "http://" + the Host header.
    /// - Returns: the open connection.
    /// - Throws: ``LWSError/connectionRefused``, ``LWSError/dnsFailure(_:)``,
    ///   ``LWSError/handshakeRejected(status:)``, ``LWSError/timeout``,
    ///   ``LWSError/tooManyConnections``, ``LWSError/tlsFailed(_:)``, ``LWSError/invalidURL(_:)``,
    ///   ``LWSError/unsupportedScheme(_:)``, ``LWSError/contextShutDown``.
    public func connect(
        to url: String, headers: [String: String] = [:], subprotocols: [String] = [], origin: String? = nil
    ) async throws -> WebSocketConnection {
        let parsed = try WebSocketURL(url)
        let address = try await AddressResolver.resolve(parsed.host)
        let promise = ConnectPromise()
        engine.submit(.connect(ClientConnectRequest(
            url: parsed, address: address, headers: headers, subprotocols: subprotocols, origin: origin, promise: promise)))
        return try await promise.value()
    }

    /// Loads the listener's certificate chain and key again from the same files, for renewals
    /// without a restart. Connections accepted afterwards get the new certificate; open ones
    /// keep theirs. The files are checked first, as `build()` checks them.
    /// - Throws: ``LWSError/invalidConfiguration(_:)`` when there is no TLS listener or the new
    ///   files do not load or match (the old certificate then stays), ``LWSError/contextShutDown``.
    public func reloadCertificates() async throws {
        guard case .files? = engine.configuration.tls?.identity else {
            throw LWSError.invalidConfiguration("reloadCertificates needs tls(...) with certificate and key files")
        }
        try ContextEngine.validateTLS(engine.configuration)
        let promise = ServicePromise<Void>()
        engine.submit(.reloadCertificates(promise))
        try await promise.value()
    }

    /// Closes every connection with 1001, waits up to `shutdownGracePeriod` for the close
    /// handshakes, then destroys the lws context. Idempotent; returns once it is destroyed.
    public func shutdown() async {
        engine.requestShutdown(gracePeriod: engine.configuration.shutdownGracePeriod)
        await engine.waitUntilStopped()
    }

    /// ``shutdown()`` for code that is not async: blocks the calling thread until done.
    /// - Throws: ``LWSError/wouldDeadlock`` when called on the context's own service thread.
    public func syncShutdown() throws {
        guard !engine.isServiceThread else { throw LWSError.wouldDeadlock }
        engine.requestShutdown(gracePeriod: engine.configuration.shutdownGracePeriod)
        engine.blockUntilStopped()
    }

    /// Returns once the context has shut down, however that was started.
    public func waitUntilShutdown() async { await engine.waitUntilStopped() }

    /// Whether the context has shut down.
    public var isShutDown: Bool { engine.isStopped }
}

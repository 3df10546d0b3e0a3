import Dispatch
import Logging
import Synchronization

/// The internal owner of one `lws_context` and of the thread that services it.
///
/// Its work is spread over this folder, one lws concern a file: the service loop
/// (`ServiceLoop.swift`), context creation (`ContextCreation.swift`), the inbox of commands
/// from other threads (`Inbox.swift`), the callback router (`CallbackRouter.swift`), the
/// acceptor and its refusals (`Acceptor.swift`, `Refusal.swift`) and the connector
/// (`Connector.swift`).
///
/// Thread ownership:
/// - The `let` properties never change after `init`.
/// - ``shared`` is for any thread, under its lock. It holds the inbox, the pointer that
///   `lws_cancel_service` may use, and what the start reported. The service thread clears that
///   pointer, under the same lock, before it calls `lws_context_destroy`, so a wake-up can never
///   race the destroy.
/// - ``local`` belongs to the service thread (``ServiceThreadOwned``).
final class ContextEngine: Sendable {
    enum Phase { case running, stopping, stopped }

    struct Shared {
        var inbox: [ServiceCommand] = []
        /// The context, for `lws_cancel_service` only; `nil` before the start and from the
        /// destroy on.
        var wakeTarget: OpaquePointer?
        var phase = Phase.running
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        /// The bound port, once listening.
        var listenPort: Int?
        var plainListenPort: Int?
        var startError: LWSError?
    }

    /// What only the service thread touches.
    struct Local {
        var lwsContext: OpaquePointer?
        var resources: ContextResources?
        /// The vhost client `wss://` connections use, made on the first one.
        var clientTLSVhost: OpaquePointer?
        var connections: [ObjectIdentifier: ConnectionCore] = [:]
        var shutdownDeadline: ContinuousClock.Instant?
        var lastRefusalLog: ContinuousClock.Instant?
        /// Upgrades accepted in `HTTP_CONFIRM_UPGRADE`, until `ESTABLISHED` (or `WSI_DESTROY`).
        var pendingUpgrades: [OpaquePointer: PendingUpgrade] = [:]
        /// Open server connections per remote address, kept only with a per-address cap.
        var openPerAddress: [String: Int] = [:]
        var addressOfConnection: [ObjectIdentifier: String] = [:]
        /// Plain HTTP connections that made a request and have not closed: they count toward
        /// `maxConnections` beside the WebSockets.
        var httpConnections: Set<OpaquePointer> = []
        /// Requests a route is answering, by connection.
        var httpExchanges: [OpaquePointer: HTTPExchange] = [:]
        var nextExchangeID: UInt64 = 0
        /// Set while `lws_context_destroy` runs, when even this thread may not wake lws.
        var destroying = false
        /// One buffer with `LWS_PRE` headroom, reused for every write on this thread.
        var writeBuffer: UnsafeMutableRawPointer?
        var writeBufferCapacity = 0
    }

    let configuration: LWSConfiguration
    let plan: FDBudgetPlan
    let handler: ConnectionHandler?
    /// The inline style's closures, when the server uses it instead of `handler`.
    let inline: WebSocketInlineCallbacks?
    let upgradeHook: (@Sendable (WebSocketUpgradeRequest) throws -> WebSocketUpgradeDecision)?
    let upgradePolicy: UpgradePolicy
    let routes: [String: HTTPRouteHandler]
    let routeTable: HTTPRouteTable
    let stats = LWSContextStats()
    let identity = ServiceThreadIdentity()
    let limits: ConnectionCore.Limits
    var logger: Logger { configuration.logger }
    let shared = Locked(Shared())
    /// Set under `shared`'s lock when the inbox holds commands, so that the loop can skip the lock.
    let inboxPending = Atomic<Bool>(false)
    let executor: ServiceExecutor
    let local: ServiceThreadOwned<Local>
    let started = DispatchSemaphore(value: 0)
    let stopped = DispatchGroup()

    /// Serialises context creation across the process (OpenSSL and `signal()` global init).
    static let creationLock = Locked(())

    init(
        configuration: LWSConfiguration, plan: FDBudgetPlan, handler: ConnectionHandler?, inline: WebSocketInlineCallbacks? = nil,
        upgradeHook: (@Sendable (WebSocketUpgradeRequest) throws -> WebSocketUpgradeDecision)? = nil,
        routes: [String: HTTPRouteHandler] = [:], routeTable: HTTPRouteTable
    ) {
        self.routes = routes
        self.routeTable = routeTable
        self.configuration = configuration
        self.plan = plan
        self.handler = handler
        self.inline = inline
        self.upgradeHook = upgradeHook
        self.upgradePolicy = UpgradePolicy(
            allowedOrigins: configuration.allowedOrigins, maxConnectionsPerAddress: configuration.maxConnectionsPerAddress,
            trustedProxies: Set(configuration.trustedProxies))
        self.limits = .init(
            maxMessageSize: configuration.maxMessageSize, maxFrameSize: configuration.maxFrameSize,
            maxBackpressure: configuration.maxBackpressure, maxInboundBuffer: configuration.maxInboundBuffer,
            lwsValidatesUTF8: configuration.serverOptions.contains(.validateUTF8))
        // No weak reference to `self` anywhere: one would move the engine's reference count to a
        // side table, and it is retained and released several times per message (measured:
        // about 7 % of the service thread's user time in slow reference counting).
        let shared = self.shared
        self.executor = ServiceExecutor(identity: identity, wake: { Self.wake(shared) })
        self.local = ServiceThreadOwned(Local(), identity: identity)
    }

    var isServiceThread: Bool { identity.isCurrent }

    /// The bound port when listening.
    var listenPort: Int? { shared.withLock { $0.listenPort } }
    var plainListenPort: Int? { shared.withLock { $0.plainListenPort } }

    /// A buffer with `LWS_PRE` bytes of headroom before the returned pointer, reused for every
    /// write on this thread. lws masks client frames in place, so it always gets this copy.
    func writeBuffer(payloadCapacity: Int) -> UnsafeMutableRawPointer {
        if payloadCapacity > local.value.writeBufferCapacity || local.value.writeBuffer == nil {
            local.value.writeBuffer?.deallocate()
            local.value.writeBufferCapacity = max(payloadCapacity, 4096)
            local.value.writeBuffer = .allocate(byteCount: ContextResources.pre + local.value.writeBufferCapacity, alignment: 16)
        }
        return local.value.writeBuffer! + ContextResources.pre
    }
}

import CLibwebsockets
import Dispatch
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The internal owner of one `lws_context` and of the thread that services it.
///
/// Thread ownership:
/// - The `let` properties never change after `init`.
/// - `shared` is for any thread, under its lock (`Locked`). It holds the inbox and the pointer that
///   `lws_cancel_service` may use; the service thread clears that pointer, under the same lock,
///   before it calls `lws_context_destroy`, so a wake-up can never race the destroy.
/// - Everything marked "service thread only" is read and written only by the service thread.
/// - `listenPort` and `startError` are written by the service thread before `started` is
///   signalled and only read after waiting on it.
final class ContextEngine: @unchecked Sendable {
    enum Phase { case running, stopping, stopped }

    struct Shared {
        var inbox: [ServiceCommand] = []
        var cancelTarget: CancelTarget?
        var phase = Phase.running
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let configuration: LWSConfiguration
    let plan: FDBudgetPlan
    let handler: ConnectionHandler?
    let stats = LWSContextStats()
    let identity = ServiceThreadIdentity()
    let limits: ConnectionCore.Limits
    var logger: Logger { configuration.logger }
    let shared = Locked(Shared())
    /// Set under `shared`'s lock when the inbox holds commands, so that the loop can skip the lock.
    private let inboxPending = Atomic<Bool>(false)
    let executor: ServiceExecutor
    private let started = DispatchSemaphore(value: 0)
    private let stopped = DispatchGroup()

    private(set) var listenPort: Int?
    private var startError: LWSError?

    // Service thread only. One thread cannot overlap its own accesses, so the dynamic
    // exclusivity check (a thread-local lookup per access, several per loop) buys nothing here.
    @exclusivity(unchecked) var lwsContext: OpaquePointer?
    @exclusivity(unchecked) var resources: LWSContextResources?
    @exclusivity(unchecked) var connections: [ObjectIdentifier: ConnectionCore] = [:]
    @exclusivity(unchecked) var shutdownDeadline: ContinuousClock.Instant?
    @exclusivity(unchecked) var lastRefusalLog: ContinuousClock.Instant?
    /// Set while `lws_context_destroy` runs, when even this thread may not wake lws.
    @exclusivity(unchecked) var destroying = false
    @exclusivity(unchecked) private var writeBufferStorage: UnsafeMutableRawPointer?
    @exclusivity(unchecked) private var writeBufferCapacity = 0
    private let pre = Int(lwsb_pre())

    /// Serialises context creation across the process (OpenSSL and `signal()` global init).
    private static let creationLock = Locked(())

    init(configuration: LWSConfiguration, plan: FDBudgetPlan, handler: ConnectionHandler?) {
        self.configuration = configuration
        self.plan = plan
        self.handler = handler
        self.limits = .init(
            maxMessageSize: configuration.maxMessageSize, maxFrameSize: configuration.maxFrameSize,
            maxBackpressure: configuration.maxBackpressure, maxInboundBuffer: configuration.maxInboundBuffer,
            lwsValidatesUTF8: configuration.serverOptions.contains(.validateUTF8))
        // No weak reference to `self` anywhere: one would move the engine's reference count to a
        // side table, and it is retained and released several times per message (measured:
        // about 7 % of the service thread's user time in slow reference counting).
        let shared = self.shared
        self.executor = ServiceExecutor(identity: identity, wake: { Self.wake(shared) })
    }

    var isServiceThread: Bool { identity.isCurrent }

    // MARK: Start

    /// Starts the service thread and waits until the context exists (or failed to).
    func start() throws {
        stopped.enter()
        var thread = pthread_t()
        let argument = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, lwsServiceThreadEntry, argument)
        guard status == 0 else {
            Unmanaged<ContextEngine>.fromOpaque(argument).release()
            stopped.leave()
            throw LWSError.contextCreationFailed("pthread_create failed with \(status)")
        }
        pthread_detach(thread)
        started.wait()
        if let startError { throw startError }
    }

    func serviceThreadMain() {
        identity.claim()
        guard let context = createContext() else {
            executor.stop()
            finishStopping()
            started.signal()
            return
        }
        started.signal()
        while true {
            executor.drain()
            drainInbox()
            if shouldStop() { break }
            lws_service(context, 0)
        }
        destroy(context)
    }

    private func createContext() -> OpaquePointer? {
        let resources = LWSContextResources(configuration: configuration)
        var info = lws_context_creation_info()
        info.port = configuration.listen.map { Int32($0.port) } ?? CONTEXT_PORT_NO_LISTEN
        info.iface = UnsafePointer(resources.iface)
        info.protocols = UnsafePointer(resources.protocols)
        info.vhost_name = UnsafePointer(resources.vhostName)
        // Client Origin headers go out as given, not with "http://" prepended.
        info.options = configuration.serverOptions.rawValue | UInt64(LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN)
        // lws 4.1 binds an IPv4 interface address on an IPv6 vhost as the IPv6 wildcard, which
        // would listen on every interface: keep an IPv4 listener IPv4 only.
        if let host = configuration.listen?.host, AddressResolver.isIPv4(host) {
            info.options |= UInt64(LWS_SERVER_OPTION_DISABLE_IPV6)
        }
        info.fd_limit_per_thread = UInt32(plan.fdLimitPerThread)
        info.count_threads = 1
        info.pt_serv_buf_size = UInt32(configuration.serviceBufferSize)
        info.max_http_header_data = UInt16(configuration.maxHTTPHeaderData)
        info.max_http_header_pool = UInt16(configuration.maxHTTPHeaderPool)
        info.timeout_secs = UInt32(configuration.handshakeTimeout.wholeSeconds)
        info.connect_timeout_secs = UInt32(configuration.connectTimeout.wholeSeconds)
        info.retry_and_idle_policy = UnsafePointer(resources.retryPolicy)
        info.gid = -1
        info.uid = -1
        info.user = Unmanaged.passUnretained(self).toOpaque()

        let created = Self.creationLock.withLock { _ -> UInt in
            LWSLogBridge.apply(configuration.lwsLogLevels)
            return UInt(bitPattern: lws_create_context(&info))
        }
        guard let context = OpaquePointer(bitPattern: created) else {
            let place = configuration.listen.map { " (listening on \($0.host ?? "*"):\($0.port); is it in use?)" } ?? ""
            startError = .contextCreationFailed("lws_create_context returned NULL\(place); lws logs the cause")
            return nil
        }
        self.resources = resources
        lwsContext = context
        if configuration.listen != nil, let vhost = lws_get_vhost_by_name(context, LWSContextResources.vhostName) {
            listenPort = Int(lws_get_vhost_listen_port(vhost))
        }
        shared.withLock { $0.cancelTarget = CancelTarget(context: context) }
        logger.info(
            "lws context started",
            metadata: [
                "lws.version": "\(lwsb_version_number())",
                "port": "\(listenPort.map(String.init) ?? "none")",
                "maxConnections": "\(configuration.maxConnections)",
                "fdLimitPerThread": "\(plan.fdLimitPerThread)",
                "fdSlots": "\(plan.slots)",
                "estimatedFDTableBytes": "\(plan.estimatedFDTableBytes)",
            ])
        return context
    }

    // MARK: Commands and wake-ups

    /// Runs `command` now on the service thread, or queues it there and wakes the thread.
    func submit(_ command: ServiceCommand) {
        if isServiceThread {
            execute(command)
            return
        }
        let queued = shared.withLock { s -> Bool in
            guard let target = s.cancelTarget else { return false }
            s.inbox.append(command)
            inboxPending.store(true, ordering: .releasing)
            lws_cancel_service(target.context)
            return true
        }
        if !queued { reject(command) }
    }

    /// Asks lws for a WRITEABLE callback on `core`: directly on the service thread (a handler's
    /// `send`, once per message), otherwise through the inbox.
    func requestWritable(_ core: ConnectionCore) {
        if isServiceThread {
            if let wsi = core.wsi { lws_callback_on_writable(wsi) }
        } else {
            submit(.writable(core))
        }
    }

    /// Wakes the service thread (for jobs queued on the executor).
    func wake() { Self.wake(shared) }

    private static func wake(_ shared: Locked<Shared>) {
        shared.withLock { s in
            if let target = s.cancelTarget { lws_cancel_service(target.context) }
        }
    }

    /// Runs every queued command. `EVENT_WAIT_CANCELLED` and the loop both call it.
    func drainInbox() {
        guard inboxPending.load(ordering: .acquiring) else { return }
        let commands = shared.withLock { s -> [ServiceCommand] in
            inboxPending.store(false, ordering: .relaxed)
            defer { s.inbox.removeAll(keepingCapacity: true) }
            return s.inbox
        }
        for command in commands { execute(command) }
    }

    /// A command that arrived after the context was destroyed.
    private func reject(_ command: ServiceCommand) {
        if case .connect(let request) = command { request.promise.fail(.contextShutDown) }
    }

    private func execute(_ command: ServiceCommand) {
        switch command {
        case .writable(let core):
            if let wsi = core.wsi { lws_callback_on_writable(wsi) }
        case .resumeReading(let core):
            core.resumeReading()
        case .killIfOpen(let core):
            if let wsi = core.wsi { lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC) }
        case .connect(let request):
            startConnect(request)
        case .connectDeadline(let core):
            connectDeadlinePassed(core)
        case .shutdown(let deadline):
            beginShutdown(deadline: deadline)
        case .tick:
            break
        }
    }

    // MARK: Write buffer

    /// A buffer with `LWS_PRE` bytes of headroom before the returned pointer, reused for every
    /// write on this thread. lws masks client frames in place, so it always gets this copy.
    func writeBuffer(payloadCapacity: Int) -> UnsafeMutableRawPointer {
        if payloadCapacity > writeBufferCapacity || writeBufferStorage == nil {
            writeBufferStorage?.deallocate()
            writeBufferCapacity = max(payloadCapacity, 4096)
            writeBufferStorage = .allocate(byteCount: pre + writeBufferCapacity, alignment: 16)
        }
        return writeBufferStorage! + pre
    }

    // MARK: Shutdown

    /// Asks the context to close every connection with 1001 and stop. Idempotent.
    func requestShutdown(gracePeriod: Duration) {
        let first = shared.withLock { s -> Bool in
            guard s.phase == .running else { return false }
            s.phase = .stopping
            return true
        }
        guard first else { return }
        let deadline = ContinuousClock.now + gracePeriod
        submit(.shutdown(deadline: deadline))
        let delay = DispatchTimeInterval.nanoseconds(Int(gracePeriod.seconds * 1e9) + 1_000_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { self.submit(.tick) }
    }

    private func beginShutdown(deadline: ContinuousClock.Instant) {
        guard shutdownDeadline == nil else { return }
        shutdownDeadline = deadline
        for core in connections.values {
            if core.client?.promise != nil, let wsi = core.pendingWSI {
                lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
            } else {
                core.requestClose(code: .goingAway, reason: "server shutting down")
            }
        }
    }

    private func shouldStop() -> Bool {
        guard let deadline = shutdownDeadline else { return false }
        return connections.isEmpty || ContinuousClock.now >= deadline
    }

    private func destroy(_ context: OpaquePointer) {
        let leftovers = shared.withLock { s -> [ServiceCommand] in
            s.cancelTarget = nil
            defer { s.inbox = [] }
            return s.inbox
        }
        destroying = true
        lws_context_destroy(context)  // delivers CLOSED and WSI_DESTROY for what is left
        lwsContext = nil
        resources = nil
        writeBufferStorage?.deallocate()
        writeBufferStorage = nil
        for command in leftovers { reject(command) }
        executor.drain()
        executor.stop()
        finishStopping()
    }

    private func finishStopping() {
        let waiters = shared.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.phase = .stopped
            s.cancelTarget = nil
            defer { s.stopWaiters = [] }
            return s.stopWaiters
        }
        for waiter in waiters { waiter.resume() }
        stopped.leave()
    }

    /// Returns once the context is destroyed.
    func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = shared.withLock { s -> Bool in
                guard s.phase != .stopped else { return true }
                s.stopWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Blocks the calling thread until the context is destroyed.
    func blockUntilStopped() { stopped.wait() }

    var isStopped: Bool { shared.withLock { $0.phase == .stopped } }

    // MARK: Close timeouts

    func scheduleCloseTimeout(for core: ConnectionCore) {
        let delay = DispatchTimeInterval.nanoseconds(Int(configuration.closeTimeout.seconds * 1e9))
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { self.submit(.killIfOpen(core)) }
    }
}

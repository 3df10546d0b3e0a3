import CLibwebsockets
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The service thread: start, the loop around `lws_service`, graceful shutdown and destroy.
extension ContextEngine {
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
        if let error = shared.withLock({ $0.startError }) { throw error }
    }

    /// The service thread's whole life.
    func serviceThreadMain() {
        identity.claim()
        defer { identity.release() }
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

    // MARK: Shutdown

    /// Asks the context to close every connection with 1001 and stop. Idempotent.
    func requestShutdown(gracePeriod: Duration) {
        let first = shared.withLock { s -> Bool in
            guard s.phase == .running else { return false }
            s.phase = .stopping
            return true
        }
        guard first else { return }
        submit(.shutdown(deadline: ContinuousClock.now + gracePeriod))
        // Wake the loop once the deadline passed, even if no socket has anything to say.
        submit(.tick, after: gracePeriod + .milliseconds(1))
    }

    /// Service thread: closes open connections with 1001 and drops connects still under way.
    func beginShutdown(deadline: ContinuousClock.Instant) {
        guard local.value.shutdownDeadline == nil else { return }
        local.value.shutdownDeadline = deadline
        for core in local.value.connections.values {
            if core.local.value.handshake != nil {
                core.kill()
            } else {
                core.requestClose(code: .goingAway, reason: "server shutting down")
            }
        }
    }

    private func shouldStop() -> Bool {
        guard let deadline = local.value.shutdownDeadline else { return false }
        return local.value.connections.isEmpty || ContinuousClock.now >= deadline
    }

    private func destroy(_ context: OpaquePointer) {
        let leftovers = shared.withLock { s -> [ServiceCommand] in
            s.wakeTarget = nil
            defer { s.inbox = [] }
            return s.inbox
        }
        local.value.destroying = true
        lws_context_destroy(context)  // delivers CLOSED and WSI_DESTROY for what is left
        local.value.lwsContext = nil
        local.value.clientTLSVhost = nil
        local.value.resources = nil
        local.value.writeBuffer?.deallocate()
        local.value.writeBuffer = nil
        for command in leftovers { reject(command) }
        executor.drain()
        executor.stop()
        finishStopping()
    }

    private func finishStopping() {
        let waiters = shared.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.phase = .stopped
            s.wakeTarget = nil
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
}

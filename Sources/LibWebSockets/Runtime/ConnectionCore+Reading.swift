/// How a reader gets a connection's events (any thread; one reader at a time).
///
/// A reader on another thread goes through the state machine under the lock: it is only woken,
/// then takes the event under the lock itself. The server's handler task on the service thread
/// shares that thread with everything that queues events, so it parks, and may be handed an
/// event, through ``ConnectionLocal`` without the lock.
extension ConnectionCore {
    /// What a reader does next (the message iterator and the closure style's loop), decided
    /// without suspending.
    enum ReadStep {
        case event(InboundEvent)
        case end
        /// Park on the service thread, having seen this many events.
        case park(seen: UInt64)
        /// Wait through the lock, registered under this id.
        case wait(UInt64)
    }

    /// Records the calling task as this connection's server handler task.
    func claimForHandlerTask() {
        handlerTask.store(TaskIdentity.current, ordering: .relaxed)
    }

    /// Whether the calling task is the server handler task, which nothing can cancel and which
    /// prefers the service thread's executor. It may read the lock-free way only while it runs
    /// on that thread (checked per read in ``readStep(isHandlerTask:)``).
    var isServiceThreadHandlerTask: Bool {
        guard engine.configuration.handlerExecutor == .serviceThread else { return false }
        let current = TaskIdentity.current
        return current != 0 && current == handlerTask.load(ordering: .relaxed)
    }

    /// Why the inbound side ended, if it ended with an error (1009, 1007).
    @inline(never)
    var endError: LWSError? { state.withLock { $0.lifecycle.failure } }

    /// Takes the reader's next event, or says how to wait for it: on the service thread the
    /// handler task uses the lock-free fields, any other reader the lock.
    ///
    /// Never inlined: inlined into an async caller, its temporaries got slots in the caller's
    /// async frame, which every idle connection holds (measured: 1 KB more per idle connection).
    @inline(never)
    func readStep(isHandlerTask: Bool) -> ReadStep {
        let cheap = isHandlerTask && engine.isServiceThread
        if cheap {
            if let event = local.value.handoff {
                local.value.handoff = nil
                local.value.handlerTaken &+= 1
                return .event(event)
            }
            if local.value.serviceEvents == local.value.handlerTaken { return .park(seen: local.value.handlerTaken) }
        }
        let (take, resumeReading) = state.withLock { $0.take() }
        if resumeReading { engine.submit(.resumeReading(self)) }
        switch take {
        case .event(let event):
            if cheap { local.value.handlerTaken &+= 1 }
            return .event(event)
        case .end:
            return .end
        case .wait(let id):
            return cheap ? .park(seen: local.value.serviceEvents) : .wait(id)
        }
    }

    /// The handler task on the service thread: suspends until an event may be waiting.
    ///
    /// Everything that queues events runs on this thread too, so no lock is needed: if the
    /// event count still equals `seen`, nothing came since. No cancellation handler (nothing
    /// can cancel that task) and an unchecked continuation (it is resumed on this same thread):
    /// the smallest frames, which every idle connection pays.
    nonisolated(nonsending) func waitOnServiceThread(seen: UInt64) async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            parkOnServiceThread(continuation, seen: seen)
        }
    }

    @inline(never)
    private func parkOnServiceThread(_ continuation: UnsafeContinuation<Void, Never>, seen: UInt64) {
        guard local.value.serviceEvents == seen else { return continuation.resume() }
        precondition(local.value.handlerWaiter == nil, "a connection's messages can only be read by one task at a time")
        local.value.handlerWaiter = continuation
    }

    /// Any other reader: suspends until an event may be waiting, the connection ended, or the
    /// task is cancelled.
    func waitForEvent(_ id: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                park(Wakeup(continuation), id: id)
            }
        } onCancel: {
            state.withLock { $0.unpark(id: id) }?.resume()
        }
    }

    @inline(never)
    private func park(_ reader: Wakeup, id: UInt64) {
        if state.withLock({ $0.park(reader, id: id, cancelled: Task.isCancelled) }) { reader.resume() }
    }

    /// The next message or pong, `nil` after a clean end, or the error that ended it. The one
    /// reader loop, behind both the message iterator and the closure style.
    ///
    /// Always inlined: every idle connection's task is suspended in here, and a frame of its
    /// own would cost each of them its size again.
    /// - Parameter isHandlerTask: ``isServiceThreadHandlerTask``, asked once by the caller.
    /// - Throws: the error that ended the connection (1009, 1007), or `CancellationError` when
    ///   the task is cancelled while it waits.
    @inline(__always)
    nonisolated(nonsending) func nextEvent(isHandlerTask: Bool) async throws -> InboundEvent? {
        while true {
            switch readStep(isHandlerTask: isHandlerTask) {
            case .event(let event):
                return event
            case .end:
                if let error = endError { throw error }
                return nil
            case .park(let seen):
                await waitOnServiceThread(seen: seen)
            case .wait(let id):
                if Task.isCancelled { throw CancellationError() }
                await waitForEvent(id)
            }
        }
    }
}

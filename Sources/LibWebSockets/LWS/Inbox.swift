import CLibwebsockets
import Dispatch

/// Commands from other threads, and wake-ups. `lws_cancel_service` is the only lws call made
/// off the service thread, and only here, under `shared`'s lock.
extension ContextEngine {
    /// Runs `command` now on the service thread, or queues it there and wakes the thread.
    func submit(_ command: ServiceCommand) {
        if isServiceThread {
            execute(command)
            return
        }
        let queued = shared.withLock { s -> Bool in
            guard let target = s.wakeTarget else { return false }
            s.inbox.append(command)
            inboxPending.store(true, ordering: .releasing)
            lws_cancel_service(target)
            return true
        }
        if !queued { reject(command) }
    }

    /// Submits `command` once `delay` has passed (close and connect timeouts, the shutdown
    /// deadline). lws's own timers count whole seconds; these need not.
    func submit(_ command: ServiceCommand, after delay: Duration) {
        let (seconds, attoseconds) = delay.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { self.submit(command) }
    }

    /// Asks lws for a WRITEABLE callback on `core`: directly on the service thread (a handler's
    /// `send`, once per message), otherwise through the inbox.
    func requestWritable(_ core: ConnectionCore) {
        if isServiceThread {
            if let wsi = core.local.value.wsi { lws_callback_on_writable(wsi) }
        } else {
            submit(.writable(core))
        }
    }

    /// Wakes the service thread (the executor's wake for jobs queued from other threads).
    static func wake(_ shared: Locked<Shared>) {
        shared.withLock { s in
            if let target = s.wakeTarget { lws_cancel_service(target) }
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
    func reject(_ command: ServiceCommand) {
        switch command {
        case .connect(let request): request.promise.fail(.contextShutDown)
        case .reloadCertificates(let promise): promise.fail(.contextShutDown)
        default: break
        }
    }

    private func execute(_ command: ServiceCommand) {
        switch command {
        case .writable(let core):
            if let wsi = core.local.value.wsi { lws_callback_on_writable(wsi) }
        case .resumeReading(let core):
            core.resumeReading()
        case .killIfOpen(let core):
            core.kill()
        case .connect(let request):
            startConnect(request)
        case .connectDeadline(let core):
            connectDeadlinePassed(core)
        case .shutdown(let deadline):
            beginShutdown(deadline: deadline)
        case .reloadCertificates(let promise):
            reloadCertificates(promise)
        case .httpRespond(let wsi, let id, let response):
            routeAnswered(wsi: wsi, id: id, response: response)
        case .tick:
            break
        }
    }

    /// Drops `core` if the peer has not answered its close frame in `closeTimeout`.
    func scheduleCloseTimeout(for core: ConnectionCore) {
        submit(.killIfOpen(core), after: configuration.closeTimeout)
    }
}

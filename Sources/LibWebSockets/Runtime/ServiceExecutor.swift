import Dispatch
import Synchronization

/// Runs Swift jobs on a context's service thread, between `lws_service` calls (SE-0417).
///
/// A handler whose jobs run on the service thread gets each message with no thread hop: the
/// Swift runtime's own cost of that hand-off is about 0.7 µs (`Benchmarks/handoff-floor`), while
/// a task on the global pool would need another thread woken for every message. So connection
/// handlers prefer this executor by default.
///
/// Thread ownership: `local` belongs to the service thread. Jobs it enqueues itself (a handler
/// resumed by lws's callbacks, once per message) go there without a lock. Other threads use
/// `remote`, under its lock, and wake the service thread.
///
/// After the context is destroyed the service thread is gone, yet tasks that preferred this
/// executor may still have jobs. From then on jobs run, in order, on a serial dispatch queue.
final class ServiceExecutor: TaskExecutor {
    private struct Remote {
        var jobs: [UnownedJob] = []
        var stopped = false
    }

    private struct Local {
        var jobs: [UnownedJob] = []
        /// The other half of `jobs`'s double buffer, kept so that neither loses its capacity.
        var running: [UnownedJob] = []
        var stopped = false
    }

    private let local: ServiceThreadOwned<Local>
    private let remote = Locked(Remote())
    /// Set under `remote`'s lock when it holds jobs, so that the loop can skip the lock.
    private let remotePending = Atomic<Bool>(false)
    /// Called after a job is queued from another thread: wakes the service thread.
    private let wake: @Sendable () -> Void
    private let identity: ServiceThreadIdentity
    private let fallback = DispatchQueue(label: "LibWebSockets.ServiceExecutor.fallback")

    init(identity: ServiceThreadIdentity, wake: @escaping @Sendable () -> Void) {
        self.identity = identity
        self.wake = wake
        self.local = ServiceThreadOwned(Local(), identity: identity)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if identity.isCurrent, !local.value.stopped {
            local.value.jobs.append(job)
            return
        }
        let queued = remote.withLock { remote -> Bool in
            guard !remote.stopped else { return false }
            remote.jobs.append(job)
            remotePending.store(true, ordering: .releasing)
            return true
        }
        guard queued else {
            fallback.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
            return
        }
        if !identity.isCurrent { wake() }
    }

    /// Runs every queued job on the calling (service) thread, including jobs those jobs queue.
    /// - Returns: how many ran.
    @discardableResult
    func drain() -> Int {
        var ran = 0
        var batch: [UnownedJob] = []
        swap(&batch, &local.value.running)
        defer { swap(&batch, &local.value.running) }
        while true {
            swap(&batch, &local.value.jobs)
            if remotePending.load(ordering: .acquiring) {
                remote.withLock { remote in
                    batch.append(contentsOf: remote.jobs)
                    remote.jobs.removeAll(keepingCapacity: true)
                    remotePending.store(false, ordering: .relaxed)
                }
            }
            if batch.isEmpty { return ran }
            let executor = asUnownedTaskExecutor()
            for job in batch { job.runSynchronously(on: executor) }
            ran += batch.count
            batch.removeAll(keepingCapacity: true)
        }
    }

    /// Whether jobs are waiting, so the service loop must not sleep. Service thread only.
    var hasPendingJobs: Bool { !local.value.jobs.isEmpty || remotePending.load(ordering: .acquiring) }

    /// Called on the service thread once it stops: queued and future jobs go to the fallback
    /// queue.
    func stop() {
        local.value.stopped = true
        let leftover = local.value.jobs + remote.withLock { remote -> [UnownedJob] in
            remote.stopped = true
            defer { remote.jobs = [] }
            return remote.jobs
        }
        local.value.jobs = []
        for job in leftover { fallback.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) } }
    }
}

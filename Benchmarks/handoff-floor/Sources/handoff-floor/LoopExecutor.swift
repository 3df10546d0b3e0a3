#if DEBUG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#endif

/// Runs jobs on the thread that calls `drain()`, the way a context's service thread runs its
/// handlers between `lws_service` calls (`ServiceExecutor`, without its queue for jobs from
/// other threads: here every job comes from the loop thread).
///
/// Invariant for `@unchecked Sendable` (`TaskExecutor` requires `Sendable`): `local` and `spare`
/// are touched only on the thread that created the executor, the loop thread, which both drains
/// it and enqueues every job (task start and continuation resumes happen there), so the queue
/// needs no lock. Checked by the debug-build assertions here (see `Channel`); in release only the
/// single-thread design of `main.swift` guarantees it.
final class LoopExecutor: TaskExecutor, @unchecked Sendable {
    private var local: [UnownedJob] = []
    private var spare: [UnownedJob] = []
    #if DEBUG
    private let loopThread = pthread_self()
    #endif

    /// Debug builds: traps unless called on the thread that created the executor.
    @inline(__always)
    private func assertOnLoopThread() {
        #if DEBUG
        precondition(pthread_equal(pthread_self(), loopThread) != 0, "LoopExecutor used off its loop thread")
        #endif
    }

    func enqueue(_ job: consuming ExecutorJob) {
        assertOnLoopThread()
        local.append(UnownedJob(job))
    }

    /// Runs every queued job, including the jobs those jobs queue.
    func drain() {
        assertOnLoopThread()
        while !local.isEmpty {
            swap(&local, &spare)
            let executor = asUnownedTaskExecutor()
            for job in spare { job.runSynchronously(on: executor) }
            spare.removeAll(keepingCapacity: true)
        }
    }
}

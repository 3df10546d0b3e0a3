/// Runs jobs on the thread that calls `drain()`, the way a context's service thread runs its
/// handlers between `lws_service` calls (`ServiceExecutor`, without its queue for jobs from
/// other threads: here every job comes from the loop thread).
final class LoopExecutor: TaskExecutor, @unchecked Sendable {
    // Loop thread only.
    private var local: [UnownedJob] = []
    private var spare: [UnownedJob] = []

    func enqueue(_ job: consuming ExecutorJob) { local.append(UnownedJob(job)) }

    /// Runs every queued job, including the jobs those jobs queue.
    func drain() {
        while !local.isEmpty {
            swap(&local, &spare)
            let executor = asUnownedTaskExecutor()
            for job in spare { job.runSynchronously(on: executor) }
            spare.removeAll(keepingCapacity: true)
        }
    }
}

import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Which thread is a context's service thread; readable from any thread.
final class ServiceThreadIdentity: Sendable {
    private let thread = Atomic<UInt>(0)

    /// Called first thing on the service thread.
    func claim() { thread.store(UInt(pthread_self()), ordering: .releasing) }

    /// Called last thing on the service thread: a later thread may get the same `pthread_t`.
    func release() { thread.store(0, ordering: .releasing) }

    var isCurrent: Bool { thread.load(ordering: .acquiring) == UInt(pthread_self()) }
}

import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Which thread is a context's service thread; readable from any thread.
final class ServiceThreadIdentity: Sendable {
    private let thread = Atomic<UInt>(0)

    func claim() { thread.store(UInt(pthread_self()), ordering: .releasing) }

    var isCurrent: Bool { thread.load(ordering: .acquiring) == UInt(pthread_self()) }
}

/// State that only one context's service thread reads and writes, shareable with the objects
/// that other threads hold.
///
/// Every lws callback, every command from the inbox and every job of the service executor runs
/// on that thread, so most of a context's and a connection's state needs no lock. This box is
/// the one place that says so to the compiler; everything else is checked `Sendable`.
///
/// Invariant: ``value`` is only accessed on the thread that `identity` names, and never while
/// another access to it is under way on that thread (no lws call is made inside an access, so
/// no callback can re-enter one). Debug builds assert the thread on every access, so the whole
/// test suite checks it; the TSan run (`make test-tsan`) checks that no other thread touches it.
///
/// Why `@exclusivity(unchecked)`: one thread cannot race itself, so the dynamic exclusivity
/// check (a thread-local lookup per access, several per message) only costs.
final class ServiceThreadOwned<Value>: @unchecked Sendable {
    @exclusivity(unchecked) private var storage: Value
    private let identity: ServiceThreadIdentity

    init(_ value: Value, identity: ServiceThreadIdentity) {
        self.storage = value
        self.identity = identity
    }

    /// The state. Service thread only.
    var value: Value {
        @inline(__always) _read {
            assert(identity.isCurrent, "service-thread state touched off the service thread")
            yield storage
        }
        @inline(__always) _modify {
            assert(identity.isCurrent, "service-thread state touched off the service thread")
            yield &storage
        }
    }
}

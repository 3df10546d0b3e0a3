#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a `pthread_mutex_t`, both in one allocation.
///
/// Why not `Synchronization.Mutex`: on Linux it locks with futexes inside the precompiled
/// Synchronization library, where ThreadSanitizer cannot see them, so every access it guards is
/// reported as a race (checked with a two-thread counter under `-sanitize=thread`). The suite
/// runs under TSan, so shared state uses this lock; `Atomic` counters stay as they are.
///
/// The value lives in a `ManagedBuffer` header reached through a pointer, not in a stored
/// property: a class's stored `var` passed `inout` costs a dynamic exclusivity check on every
/// access, and this lock is taken several times per message.
///
/// Invariant for `@unchecked Sendable`: the value is only reached inside ``withLock(_:)``, between
/// `pthread_mutex_lock` and `pthread_mutex_unlock`, and callers do not let references to it
/// escape the closure. Checked by the whole suite under ThreadSanitizer (`make test-tsan`),
/// which sees pthread mutexes.
final class Locked<Value>: @unchecked Sendable {
    // The header (the value) is only touched between lock and unlock of the element (the mutex).
    private let buffer: ManagedBuffer<Value, pthread_mutex_t>

    init(_ value: Value) {
        buffer = ManagedBuffer.create(minimumCapacity: 1) { _ in value }
        buffer.withUnsafeMutablePointerToElements { mutex in
            mutex.initialize(to: pthread_mutex_t())
            pthread_mutex_init(mutex, nil)
        }
    }

    deinit {
        buffer.withUnsafeMutablePointerToElements { mutex in
            pthread_mutex_destroy(mutex)
            mutex.deinitialize(count: 1)
        }
    }

    /// Runs `body` with the value, holding the lock.
    @inline(__always)
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try buffer.withUnsafeMutablePointers { value, mutex in
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return try body(&value.pointee)
        }
    }
}

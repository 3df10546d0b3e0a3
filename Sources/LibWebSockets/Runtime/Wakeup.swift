/// A task suspended until something may have changed, woken without a value: it then looks
/// under the lock itself. (ThreadSanitizer cannot see a value handed over by
/// `resume(returning:)` when the resume races the task's suspension.)
///
/// A class, because `CheckedContinuation` is resilient: a value that held it directly would be
/// copied and destroyed through runtime value witnesses, on every message.
final class Wakeup: Sendable {
    private let continuation: CheckedContinuation<Void, Never>

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

    func resume() { continuation.resume() }
}

/// Hands an outcome from the service thread to the task awaiting it (a connect, a reload).
///
/// The outcome travels through a lock, not as a continuation's value: the task reads it under
/// the same lock the service thread wrote it under, which ThreadSanitizer can see even when the
/// resume races the task's own suspension. Only the first outcome counts.
final class ServicePromise<Value: Sendable>: Sendable {
    private struct State {
        var result: Result<Value, LWSError>?
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Locked(State())

    func succeed(_ value: Value) { complete(.success(value)) }

    func fail(_ error: LWSError) { complete(.failure(error)) }

    private func complete(_ result: Result<Value, LWSError>) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.result == nil else { return nil }
            s.result = result
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Waits for the outcome.
    func value() async throws(LWSError) -> Value {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.result != nil { return true }
                s.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
        return try state.withLock { $0.result! }.get()
    }
}

/// A connect's outcome: the open connection or why it failed.
typealias ConnectPromise = ServicePromise<WebSocketConnection>

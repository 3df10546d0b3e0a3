/// The current task's identity, to recognise the server's handler task cheaply.
enum TaskIdentity {
    /// The current task's address, or 0 outside a task. Only compared, never dereferenced.
    ///
    /// Swift has no public task identity, so the address comes from an `unsafeBitCast` of
    /// `UnsafeCurrentTask` (one pointer). Invariant: it is compared only while the task it was
    /// taken from is alive (the handler task records it and compares it in its own reads), so no
    /// other task can have the same address then. Checked by the closure- and async-style tests
    /// under TSan (`make test-tsan`): a wrong match would let a task on another thread use the
    /// service thread's state, which the debug assertion in ``ServiceThreadOwned`` also catches.
    static var current: Int {
        withUnsafeCurrentTask { task in task.map { unsafeBitCast($0, to: Int.self) } ?? 0 }
    }
}

extension FDBudgetPlan {
    /// Computes the plan. Pure: the limits are read elsewhere (``OpenFileLimits``).
    /// - Parameters:
    ///   - budget: the policy.
    ///   - maxConnections: connections the user expects at once.
    ///   - listeners: listen sockets in the context (0 or 1).
    ///   - softLimit: the process's soft `RLIMIT_NOFILE`.
    ///   - hardLimit: the process's hard `RLIMIT_NOFILE`.
    /// - Throws: ``LWSError/invalidConfiguration(_:)`` for a fixed budget out of range.
    static func make(
        budget: FDBudget, maxConnections: Int, listeners: Int, softLimit: Int, hardLimit: Int
    ) throws -> FDBudgetPlan {
        let lwsMaxFDs = softLimit > lwsMaxFDsCeiling ? 2560 : softLimit
        let limit: Int
        switch budget {
        case .lwsDefault:
            return FDBudgetPlan(fdLimitPerThread: 0, slots: lwsMaxFDs, estimatedFDTableBytes: lwsMaxFDs * bytesPerSlot)
        case .automatic:
            let wanted = maxConnections + listeners + internalSlots + refusalHeadroom(maxConnections: maxConnections)
            let fullTableIsCheap = softLimit <= fullTableMaxSoftLimit && maxConnections > compactTableMaxConnections
            limit = fullTableIsCheap ? softLimit : min(wanted, softLimit)
        case .fixed(let n):
            guard n >= listeners + internalSlots + 1 else {
                throw LWSError.invalidConfiguration("fdBudget \(n) leaves no slot for a connection (minimum \(listeners + internalSlots + 1))")
            }
            guard n <= hardLimit else {
                throw LWSError.invalidConfiguration("fdBudget \(n) is above the hard open-file limit \(hardLimit)")
            }
            limit = n
        }
        // Below max_fds lws builds a compact table of N + 2 slots; otherwise the full one.
        let slots = limit < lwsMaxFDs ? limit + 2 : lwsMaxFDs
        return FDBudgetPlan(fdLimitPerThread: limit, slots: slots, estimatedFDTableBytes: slots * bytesPerSlot)
    }
}

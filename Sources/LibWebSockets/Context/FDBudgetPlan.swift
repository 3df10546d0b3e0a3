#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The numbers behind an ``FDBudget``, computed before the context is created.
public struct FDBudgetPlan: Sendable, Hashable {
    /// The value given to lws as `fd_limit_per_thread`; 0 means lws's own default.
    public let fdLimitPerThread: Int
    /// How many fd slots lws will allocate.
    public let slots: Int
    /// Bytes lws allocates, zero-filled, for its two fd tables.
    public let estimatedFDTableBytes: Int

    /// lws's wake pipe (`lws_cancel_service`) takes one slot.
    static let internalSlots = 1
    /// lws keeps 16 bytes per slot: an 8-byte `pollfd` and an 8-byte lookup entry.
    static let bytesPerSlot = 16
    /// lws ignores open-file limits above this and uses 2560 instead.
    static let lwsMaxFDsCeiling = 10_000_000

    /// Up to this soft limit (16 bytes a slot: 1 MiB) the full table counts as small.
    static let fullTableMaxSoftLimit = 65536
    /// Up to this many connections the compact table's linear search costs next to nothing.
    static let compactTableMaxConnections = 128

    /// Slots kept free for connections that are being refused over `maxConnections`, so that a
    /// refusal never waits for a slot: one sixteenth of `maxConnections`, at least 8.
    static func refusalHeadroom(maxConnections: Int) -> Int { max(8, maxConnections / 16) }

    /// Computes the plan.
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

    /// The process's open-file limits, as lws will see them.
    static func currentLimits() -> (soft: Int, hard: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (1024, 1024) }
        let soft = Int(clamping: sysconf(Int32(_SC_OPEN_MAX)))
        let hard = limit.rlim_max == rlim_t.max ? Int.max : Int(clamping: limit.rlim_max)
        return (soft > 0 ? soft : Int(clamping: limit.rlim_cur), hard)
    }
}

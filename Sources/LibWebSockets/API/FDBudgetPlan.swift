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
}

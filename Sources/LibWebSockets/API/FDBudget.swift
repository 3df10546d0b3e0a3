/// How many file descriptors lws may track in one context (`fd_limit_per_thread`).
///
/// lws sizes two tables per context by this number: a `pollfd` array and an fd-to-connection
/// lookup, 16 bytes per slot, zero-filled and therefore resident. Left at 0, lws uses the
/// process's soft `RLIMIT_NOFILE`, which is 16 MiB per context at the common container limit of
/// 1048576. This package never leaves it at 0 unless asked to with ``lwsDefault``.
public enum FDBudget: Sendable, Hashable {
    /// Derived from `maxConnections`: connections + listeners + lws's wake pipe + refusal
    /// headroom, capped at the soft open-file limit, so lws builds a compact table.
    ///
    /// lws searches a compact table linearly on every event. Measured with the plain C echo
    /// server (`Benchmarks/run.sh fdtable`), that costs 5 % at 10 busy connections, 12 % at
    /// 1000 and 38 % at 5000. So when the full table is small (soft limit ≤ 65536, at most
    /// 1 MiB) and `maxConnections` is over 128, the budget is the soft limit instead, which
    /// gives lws its full, directly indexed table.
    case automatic
    /// Exactly this many slots. Must be at least `listeners + 2` and at most the hard limit.
    case fixed(Int)
    /// lws's own behaviour (`fd_limit_per_thread = 0`): one slot per possible fd of the process.
    /// Only for comparisons; it is what this package exists to avoid.
    case lwsDefault
}

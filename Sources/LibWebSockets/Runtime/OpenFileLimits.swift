#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limits, as lws will see them.
enum OpenFileLimits {
    /// The soft limit as `sysconf(_SC_OPEN_MAX)` reports it (what lws sizes its tables by) and
    /// the hard `RLIMIT_NOFILE` (`Int.max` when unlimited).
    static func current() -> (soft: Int, hard: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (1024, 1024) }
        let soft = Int(clamping: sysconf(Int32(_SC_OPEN_MAX)))
        let hard = limit.rlim_max == rlim_t.max ? Int.max : Int(clamping: limit.rlim_max)
        return (soft > 0 ? soft : Int(clamping: limit.rlim_cur), hard)
    }
}

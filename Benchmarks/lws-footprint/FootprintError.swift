#if canImport(Glibc)
import Glibc
#endif

/// What can go wrong in the parent or in a child.
enum FootprintError: Error, CustomStringConvertible {
    case procStatusUnreadable
    case openMaxMismatch(expected: Int, actual: Int)
    case echoMismatch(connection: Int)
    case spawnFailed(String, errno: Int32)
    case childFailed(String)
    case timeout(String)
    case buildFailed(String)
    case io(String)

    var description: String {
        switch self {
        case .procStatusUnreadable:
            "cannot read VmRSS, RssAnon and RssFile from /proc/self/status"
        case .openMaxMismatch(let expected, let actual):
            "sysconf(_SC_OPEN_MAX) is \(actual), not the simulated \(expected): the LD_PRELOAD library is not in effect; refusing to report"
        case .echoMismatch(let connection):
            "connection \(connection): the echo did not match what was sent"
        case .spawnFailed(let what, let code):
            "cannot start \(what): \(String(cString: strerror(code)))"
        case .childFailed(let message):
            message
        case .timeout(let message):
            "timed out: \(message)"
        case .buildFailed(let message):
            "building the C the tool needs (the LD_PRELOAD library, the plain C child) failed: \(message)"
        case .io(let message):
            message
        }
    }
}

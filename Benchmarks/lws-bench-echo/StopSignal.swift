#if canImport(Glibc)
import Glibc
#endif

/// The write end of the pipe the signal handler wakes the main thread through. Set once, before
/// the handler is installed, and only read after that.
nonisolated(unsafe) private var wakeFD: Int32 = -1

/// Blocking the main thread until it is time to stop, without a signal-handling thread.
enum StopSignal {
    /// Returns on SIGTERM or SIGINT, when `seconds` (> 0) have passed, or when stdin reaches its
    /// end (`watchStdin`). One `poll` with no periodic wake-ups, so an idle server does no work
    /// here.
    static func wait(seconds: Double, watchStdin: Bool) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            printError("lws-bench-echo: pipe failed\n")
            exit(1)
        }
        wakeFD = fds[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            _ = write(wakeFD, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGINT, &action, nil)

        var polled = [pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)]
        if watchStdin { polled.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
        let deadline = seconds > 0 ? now() + seconds : .infinity
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline - now()
            if left <= 0 { return }
            let timeout = left.isInfinite ? -1 : Int32(min(left * 1000, 3_600_000).rounded(.up))
            let n = poll(&polled, nfds_t(polled.count), timeout)
            if n < 0 {
                if errno == EINTR { continue }
                printError("lws-bench-echo: poll failed (errno \(errno)); stopping\n")
                return
            }
            if n == 0 { continue }  // timeout: the loop checks the deadline
            if polled[0].revents != 0 { return }
            if watchStdin && polled[1].revents != 0 {
                // anything typed is ignored; the end of the input (or an error) stops the server
                if read(0, &buffer, buffer.count) <= 0 { return }
            }
        }
    }

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Writes `text` to stderr (fd 2; C's `stderr` is a global Swift 6 does not let us share).
func printError(_ text: String) {
    let bytes = Array(text.utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { write(2, $0.baseAddress! + done, $0.count - done) }
        if n <= 0 { return }
        done += n
    }
}

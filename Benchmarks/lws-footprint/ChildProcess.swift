import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A process started with `posix_spawn`, optionally with a pipe to its stdin and one from its
/// stdout. Used from one thread at a time; ``killAllRunning()`` may be called from any thread.
final class ChildProcess {
    /// What reading the stdout pipe gave.
    enum Output { case line(String), nothingYet, endOfFile }

    let pid: pid_t
    /// The parent's end of the child's stdin, or -1.
    private var stdinFD: Int32
    /// The parent's end of the child's stdout, or -1.
    private(set) var stdoutFD: Int32
    private var pending: [UInt8] = []
    /// The `waitpid` status once reaped.
    private(set) var waitStatus: Int32?

    /// Every child not yet reaped, for clean-up on a signal; once `closed`, no more are started.
    private static let running = Mutex<(pids: Set<pid_t>, closed: Bool)>(([], false))

    private init(pid: pid_t, stdinFD: Int32, stdoutFD: Int32) {
        self.pid = pid
        self.stdinFD = stdinFD
        self.stdoutFD = stdoutFD
    }

    deinit {
        if waitStatus == nil { terminate() }
        closeStdin()
        if stdoutFD >= 0 { close(stdoutFD) }
    }

    /// Starts `path`, with stderr inherited and every other descriptor of the parent closed.
    /// - Parameters:
    ///   - path: the executable.
    ///   - arguments: argv, including argv[0].
    ///   - environment: `NAME=value` entries.
    ///   - pipes: whether to connect the child's stdin and stdout to pipes (else inherited).
    /// - Throws: ``FootprintError/spawnFailed(_:errno:)``.
    static func spawn(path: String, arguments: [String], environment: [String], pipes: Bool) throws -> ChildProcess {
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        if pipes {
            guard pipe(&toChild) == 0 else { throw FootprintError.spawnFailed("a pipe", errno: errno) }
            guard pipe(&fromChild) == 0 else {
                let code = errno
                close(toChild[0]); close(toChild[1])
                throw FootprintError.spawnFailed("a pipe", errno: code)
            }
            // The parent spawns from one thread, so no other spawn can inherit these in between.
            for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }
        defer {
            // The child's ends belong to the child now (or to nobody on failure).
            if pipes { close(toChild[0]); close(fromChild[1]) }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if pipes {
            posix_spawn_file_actions_adddup2(&actions, toChild[0], STDIN_FILENO)
            posix_spawn_file_actions_adddup2(&actions, fromChild[1], STDOUT_FILENO)
        }
        closeInheritedDescriptors(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // lws ignores SIGPIPE and the parent may ignore SIGINT: give the child the defaults back.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGALRM] { sigaddset(&defaults, signal) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let status = running.withLock { running -> Int32 in
            guard !running.closed else { return ECANCELED }
            let status = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
            if status == 0 { running.pids.insert(pid) }
            return status
        }
        guard status == 0 else {
            if pipes { close(toChild[1]); close(fromChild[0]) }
            throw FootprintError.spawnFailed(path, errno: status)
        }
        return ChildProcess(pid: pid, stdinFD: pipes ? toChild[1] : -1, stdoutFD: pipes ? fromChild[0] : -1)
    }

    /// Closes every descriptor from 3 up in the child (glibc 2.34+), so that children never hold
    /// the server's sockets or each other's pipes. Looked up at run time: the Glibc module does
    /// not export this GNU extension.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        // glibc's <spawn.h> (2.34+) declares it as
        // `int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *, int __from)`:
        // this C function type, with the pointer optional (same ABI) and `int` as `Int32`.
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return }
        // Safe: `symbol` is that function's address (dlsym found it by name), and a C function
        // pointer has the same representation as the `void *` dlsym returns on glibc platforms.
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
    }

    /// Reads what is available (call after `poll` said so) and returns the first complete line.
    func readLine() -> Output {
        if let line = takeLine() { return .line(line) }
        guard stdoutFD >= 0 else { return .endOfFile }
        var chunk = [UInt8](repeating: 0, count: 1024)
        let count = chunk.withUnsafeMutableBytes { read(stdoutFD, $0.baseAddress, $0.count) }
        if count < 0 { return errno == EINTR || errno == EAGAIN ? .nothingYet : .endOfFile }
        if count == 0 {
            close(stdoutFD)
            stdoutFD = -1
            return .endOfFile
        }
        pending += chunk[0 ..< count]
        return takeLine().map(Output.line) ?? .nothingYet
    }

    private func takeLine() -> String? {
        guard let newline = pending.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = String(decoding: pending[..<newline], as: UTF8.self)
        pending.removeSubrange(...newline)
        return line
    }

    /// Closes the child's stdin: the signal to shut down.
    func closeStdin() {
        if stdinFD >= 0 { close(stdinFD) }
        stdinFD = -1
    }

    /// Reaps the child if it has exited; returns whether it has.
    @discardableResult
    func reapIfExited() -> Bool {
        guard waitStatus == nil else { return true }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid || (result < 0 && errno == ECHILD) else { return false }
        waitStatus = result == pid ? status : -1
        _ = Self.running.withLock { $0.pids.remove(pid) }
        return true
    }

    /// Waits until the child exits or the deadline passes, polling every 10 ms.
    /// - Returns: whether it exited.
    func waitForExit(until deadline: ContinuousClock.Instant) -> Bool {
        while !reapIfExited() {
            guard ContinuousClock.now < deadline else { return false }
            usleep(10_000)
        }
        return true
    }

    /// SIGKILL and reap.
    func terminate() {
        guard !reapIfExited() else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        waitStatus = status
        _ = Self.running.withLock { $0.pids.remove(pid) }
    }

    /// "exited with 0", "killed by signal 9" and the like.
    var exitDescription: String {
        guard let status = waitStatus else { return "still running" }
        if status == -1 { return "reaped elsewhere" }
        let signal = status & 0x7f
        return signal == 0 ? "exited with \((status >> 8) & 0xff)" : "killed by signal \(signal)"
    }

    /// Whether it exited with status 0.
    var exitedCleanly: Bool { waitStatus.map { $0 & 0x7f == 0 && ($0 >> 8) & 0xff == 0 } ?? false }

    /// This process's environment as `NAME=value` entries.
    static func inheritedEnvironment() -> [String] {
        var entries: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            entries.append(String(cString: entry))
            cursor += 1
        }
        return entries
    }

    /// SIGKILLs every child not yet reaped and refuses to start more; for signal handlers, from
    /// any thread.
    static func killAllRunning() {
        running.withLock { running in
            running.closed = true
            for pid in running.pids { kill(pid, SIGKILL) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Starts N children of one kind, collects one report from each while all N are alive, then
/// closes their stdin and waits for them to exit. Any child left over is killed.
struct ChildFleet {
    let environment: [String]
    /// For each phase: all reports in, all exited.
    let timeout: Duration

    /// Runs one fleet of `count` children of `kind`.
    /// - Parameters:
    ///   - kind: what the children are, for the result and the messages.
    ///   - count: children alive at once.
    ///   - executable: the program each child runs.
    ///   - arguments: its argv, including argv[0].
    /// - Returns: the reports, in spawn order, and anything odd about the exits.
    /// - Throws: when a child fails or a phase times out; every child is killed first.
    func run(kind: RunKind, count: Int, executable: String, arguments: [String]) throws -> RunResult {
        let started = ContinuousClock.now
        var children: [ChildProcess] = []
        // On any throw, `children` goes away and each ChildProcess kills and reaps its child.
        for _ in 0 ..< count {
            children.append(try ChildProcess.spawn(
                path: executable, arguments: arguments, environment: environment, pipes: true))
        }

        var reports: [ChildReport?] = Array(repeating: nil, count: count)
        var missing = count
        let reportDeadline = started + timeout
        while missing > 0 {
            guard ContinuousClock.now < reportDeadline else {
                throw FootprintError.timeout("\(kind.rawValue): \(missing) of \(count) children did not report within \(timeout)")
            }
            let waiting = children.indices.filter { reports[$0] == nil }
            var fds = waiting.map { pollfd(fd: children[$0].stdoutFD, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 100)
            if ready < 0, errno != EINTR { throw FootprintError.io("poll failed: \(String(cString: strerror(errno)))") }
            for (slot, index) in waiting.enumerated() where fds[slot].revents != 0 {
                let child = children[index]
                switch child.readLine() {
                case .line(let line):
                    guard let report = ChildReport(line: line) else {
                        throw FootprintError.childFailed("\(kind.rawValue) child \(child.pid) printed \"\(line)\"")
                    }
                    reports[index] = report
                    missing -= 1
                case .endOfFile:
                    _ = child.waitForExit(until: .now + .seconds(2))
                    throw FootprintError.childFailed(
                        "\(kind.rawValue) child \(child.pid) \(child.exitDescription) without a report (its stderr is above)")
                case .nothingYet:
                    break
                }
            }
        }
        let reported = ContinuousClock.now
        if let gone = children.first(where: { $0.reapIfExited() }) {
            throw FootprintError.childFailed(
                "\(kind.rawValue) child \(gone.pid) \(gone.exitDescription) before all \(count) had reported")
        }
        // All `count` children are alive and idle: their shares of the shared pages are final.
        let proportional = children.compactMap { ProcStatus.proportionalSetKiB(of: $0.pid) }

        // Let them go and wait for clean exits.
        for child in children { child.closeStdin() }
        let exitDeadline = ContinuousClock.now + timeout
        var problems: [String] = []
        for child in children {
            if !child.waitForExit(until: exitDeadline) {
                child.terminate()
                problems.append("child \(child.pid) was killed after \(timeout) of shutdown")
            } else if !child.exitedCleanly {
                problems.append("child \(child.pid) \(child.exitDescription)")
            }
        }
        return RunResult(
            kind: kind, reports: reports.compactMap { $0 }, proportionalSetKiB: proportional, problems: problems,
            startUp: reported - started, shutDown: ContinuousClock.now - reported)
    }
}

/// One run: every child's report, plus what went wrong on the way out.
struct RunResult: Sendable {
    let kind: RunKind
    let reports: [ChildReport]
    /// Each child's PSS, sampled by the parent while all of them were alive, KiB; fewer entries
    /// than reports when `/proc/PID/smaps_rollup` could not be read.
    let proportionalSetKiB: [Int]
    /// Children that did not exit with 0 after their stdin closed.
    let problems: [String]
    /// From the first spawn to the last report.
    let startUp: Duration
    /// From closing the stdins to the last exit.
    let shutDown: Duration

    /// The median VmRSS, KiB.
    var medianRSSKiB: Double { Self.median(reports.map(\.rssKiB)) }
    /// The median RssAnon, KiB.
    var medianAnonKiB: Double { Self.median(reports.map(\.rssAnonKiB)) }
    /// The median RssFile, KiB.
    var medianFileKiB: Double { Self.median(reports.map(\.rssFileKiB)) }
    /// Whether every child's PSS was read.
    var hasProportionalSet: Bool { proportionalSetKiB.count == reports.count }
    /// The median PSS, KiB.
    var medianPSSKiB: Double { Self.median(proportionalSetKiB) }
    /// The sum of every child's PSS: what the children really occupy together, KiB.
    var totalPSSKiB: Int { proportionalSetKiB.reduce(0, +) }
    /// The sum of every child's VmRSS, KiB.
    var totalRSSKiB: Int { reports.reduce(0) { $0 + $1.rssKiB } }
    /// The fd table bytes of the children (they all agree unless something is off).
    var fdTableBytes: ClosedRange<Int> { range(reports.map(\.fdTableBytes)) }
    /// `sysconf(_SC_OPEN_MAX)` as the children saw it.
    var openMax: ClosedRange<Int> { range(reports.map(\.openMax)) }
    /// `fd_limit_per_thread`, `nil` without a context.
    var fdLimitPerThread: Int? { reports.first?.fdLimitPerThread }

    private func range(_ values: [Int]) -> ClosedRange<Int> { (values.min() ?? 0) ... (values.max() ?? 0) }

    private static func median(_ values: [Int]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[middle]) : Double(sorted[middle - 1] + sorted[middle]) / 2
    }
}

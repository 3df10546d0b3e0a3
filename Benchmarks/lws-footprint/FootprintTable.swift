/// The Markdown report: the table, where the memory goes, and the verdict against the targets.
struct FootprintTable {
    let runs: [RunResult]
    let processes: Int
    /// Connections each measured child opened.
    let connections: Int
    /// The simulated `sysconf(_SC_OPEN_MAX)`, or `nil` for the real limit.
    let simulatedOpenMax: Int?
    /// The parent's real soft and hard `RLIMIT_NOFILE`.
    let realLimits: (soft: Int, hard: Int)

    /// The open-file limit the targets are stated for.
    static let targetOpenMax = 1_048_576
    /// Wrapper default over bare, per process.
    static let targetPerProcessMiB = 1.3
    /// Wrapper default over bare, for 50 processes (scaled for other counts).
    static let targetTotalMiBFor50 = 64.0
    /// Wrapper default's total PSS over plain C lws's, same processes, same work.
    static let targetPSSRatioToC = 1.5

    var markdown: String {
        var lines: [String] = []
        lines.append("## lws-footprint: \(processes) processes, \(connections) connection\(connections == 1 ? "" : "s") each, one lws context per process")
        lines.append("")
        lines.append("nofile limit lws saw (`sysconf(_SC_OPEN_MAX)` in every child): \(openMaxText)")
        lines.append("")
        lines.append("| run | processes | connections / process | RSS / process, median (MiB) | total RSS (MiB) | lws fd table bytes / process | fd_limit_per_thread | Δ / process vs (a) (MiB) | Δ total vs (a) (MiB) |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        let bare = run(.bare)
        for run in runs {
            let limit = run.fdLimitPerThread.map { $0 == 0 ? "0 (lws's own default)" : "\($0)" } ?? "—"
            var deltaPer = "—", deltaTotal = "—"
            if run.kind != .bare, let bare {
                deltaPer = Self.signed(Self.mib(run.medianRSSKiB - bare.medianRSSKiB), 2)
                deltaTotal = Self.signed(Self.mib(Double(run.totalRSSKiB - bare.totalRSSKiB)), 1)
            }
            let table = run.fdTableBytes.lowerBound == run.fdTableBytes.upperBound
                ? Self.grouped(run.fdTableBytes.lowerBound)
                : "\(Self.grouped(run.fdTableBytes.lowerBound))–\(Self.grouped(run.fdTableBytes.upperBound))"
            let connectionCounts = Set(run.reports.map(\.connections)).sorted().map(String.init).joined(separator: "/")
            lines.append("| \(run.kind.title) | \(run.reports.count) | \(connectionCounts) | \(Self.fixed(Self.mib(run.medianRSSKiB), 2)) | \(Self.fixed(Self.mib(Double(run.totalRSSKiB)), 1)) | \(table) | \(limit) | \(deltaPer) | \(deltaTotal) |")
        }
        lines.append("")
        lines.append("Where it goes, in MiB. VmRSS = RssAnon (heap, stacks, lws's tables) + RssFile (pages of the binary and its")
        lines.append("libraries, shared between the processes but counted whole in each). PSS divides each shared page among the")
        lines.append("processes that map it; the parent sampled it in every child while all \(processes) were alive.")
        lines.append("")
        lines.append("| run | VmRSS / process | RssAnon / process | RssFile / process | Δ RssAnon / process | Δ RssFile / process | PSS / process | Δ PSS / process | PSS total | Δ PSS total |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for run in runs {
            func delta(_ value: (RunResult) -> Double, _ decimals: Int) -> String {
                guard let bare, run.kind != .bare else { return "—" }
                return Self.signed(Self.mib(value(run) - value(bare)), decimals)
            }
            let pss = run.hasProportionalSet && bare?.hasProportionalSet != false
            let cells = [
                run.kind.title, Self.fixed(Self.mib(run.medianRSSKiB), 2), Self.fixed(Self.mib(run.medianAnonKiB), 2),
                Self.fixed(Self.mib(run.medianFileKiB), 2), delta(\.medianAnonKiB, 2), delta(\.medianFileKiB, 2),
            ] + (pss ? [
                Self.fixed(Self.mib(run.medianPSSKiB), 2), delta(\.medianPSSKiB, 2),
                Self.fixed(Self.mib(Double(run.totalPSSKiB)), 1), delta({ Double($0.totalPSSKiB) }, 1),
            ] : ["n/a", "n/a", "n/a", "n/a"])
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        lines.append("")
        lines.append(contentsOf: againstC)
        lines.append(contentsOf: verdict)
        let problems = runs.flatMap { run in run.problems.map { "- \(run.kind.rawValue): \($0)" } }
        if !problems.isEmpty {
            lines.append("")
            lines.append("Problems on the way out:")
            lines.append(contentsOf: problems)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private var openMaxText: String {
        let seen = Set(runs.flatMap { $0.reports.map(\.openMax) }).sorted().map(String.init).joined(separator: ", ")
        if simulatedOpenMax != nil {
            return "**\(seen)** (simulated with LD_PRELOAD; the real soft/hard limits are \(realLimits.soft)/\(realLimits.hard))"
        }
        return "**\(seen)** (the real soft limit; hard limit \(realLimits.hard))"
    }

    /// The wrapper's default (b) beside plain C lws (d), which does the same work with the same
    /// settings; empty without both runs.
    private var againstC: [String] {
        guard let swift = run(.wrapperDefault), let c = run(.plainC) else { return [] }
        var lines = [
            "Swift (wrapper default) vs plain C lws, \(processes) processes each, in MiB:",
            "",
            "| | (b) wrapper default | (d) plain C lws | (b) − (d) | (b) / (d) |",
            "|---|---:|---:|---:|---:|",
        ]
        func row(_ name: String, _ value: (RunResult) -> Double, _ decimals: Int) {
            let (b, d) = (Self.mib(value(swift)), Self.mib(value(c)))
            let ratio = d > 0 ? Self.fixed(b / d, 2) : "—"
            lines.append("| \(name) | \(Self.fixed(b, decimals)) | \(Self.fixed(d, decimals)) | \(Self.signed(b - d, decimals)) | \(ratio) |")
        }
        row("VmRSS / process, median", \.medianRSSKiB, 2)
        row("RssAnon / process, median", \.medianAnonKiB, 2)
        row("RssFile / process, median", \.medianFileKiB, 2)
        if swift.hasProportionalSet, c.hasProportionalSet {
            row("PSS / process, median", \.medianPSSKiB, 2)
            row("PSS total", { Double($0.totalPSSKiB) }, 1)
        }
        row("VmRSS total", { Double($0.totalRSSKiB) }, 1)
        lines.append("")
        return lines
    }

    private var verdict: [String] {
        guard let bare = run(.bare), let wrapper = run(.wrapperDefault), let lws = run(.lwsDefault) else { return [] }
        var lines = ["Verdict:", ""]
        let openMax = lws.openMax.upperBound
        if openMax != Self.targetOpenMax {
            lines.append("- The targets are stated for a simulated \(Self.targetOpenMax); this run saw \(openMax) (run with `--simulate-nofile \(Self.targetOpenMax)`).")
        }

        let lwsPer = Self.mib(lws.medianRSSKiB - bare.medianRSSKiB)
        let lwsOverWrapper = Self.mib(lws.medianRSSKiB - wrapper.medianRSSKiB)
        let tableDifference = Double(lws.fdTableBytes.upperBound - wrapper.fdTableBytes.upperBound) / 1_048_576
        let tableMatches = abs(lwsOverWrapper - tableDifference) <= max(0.5, tableDifference * 0.1)
        let outcome = switch (tableMatches, openMax == Self.targetOpenMax) {
        case (true, true): "the whole table is resident (target ≈ 16 MiB per process: **met**)."
        case (true, false): "the whole table is resident, **as expected**."
        case (false, _): "**not as expected**: the table is not what the difference shows."
        }
        lines.append(
            "- lws default (fd_limit_per_thread = 0, lws's own): \(Self.signed(lwsPer, 2)) MiB per process over bare, "
                + "of which its fd tables are \(Self.fixed(Double(lws.fdTableBytes.upperBound) / 1_048_576, 2)) MiB (16 B × \(openMax)); "
                + "(c) − (b) = \(Self.signed(lwsOverWrapper, 2)) MiB against \(Self.signed(tableDifference, 2)) MiB of table difference: "
                + outcome)

        let wrapperPer = Self.mib(wrapper.medianRSSKiB - bare.medianRSSKiB)
        let perMet = wrapperPer <= Self.targetPerProcessMiB
        lines.append(
            "- wrapper default: \(Self.signed(wrapperPer, 2)) MiB per process over bare "
                + "(target ≤ \(Self.fixed(Self.targetPerProcessMiB, 2)) MiB): **\(perMet ? "met" : "missed")**.")

        let wrapperTotal = Self.mib(Double(wrapper.totalRSSKiB - bare.totalRSSKiB))
        let totalTarget = Self.targetTotalMiBFor50 * Double(processes) / 50
        let totalMet = wrapperTotal <= totalTarget
        let scaled = processes == 50 ? "" : ", scaled from 64 MiB for 50"
        lines.append(
            "- wrapper default: \(Self.signed(wrapperTotal, 1)) MiB for \(processes) processes over \(processes) bare ones "
                + "(target ≤ \(Self.fixed(totalTarget, 1)) MiB\(scaled)): **\(totalMet ? "met" : "missed")**.")
        let saved = Self.mib(Double(lws.totalRSSKiB - wrapper.totalRSSKiB))
        lines.append("- The wrapper's fd budget saves \(Self.fixed(saved, 1)) MiB across the \(processes) processes compared with lws's default.")

        if let c = run(.plainC) {
            if wrapper.hasProportionalSet, c.hasProportionalSet, c.totalPSSKiB > 0 {
                let (swiftPSS, cPSS) = (Self.mib(Double(wrapper.totalPSSKiB)), Self.mib(Double(c.totalPSSKiB)))
                let ratio = swiftPSS / cPSS
                let met = ratio <= Self.targetPSSRatioToC
                let stated = openMax == Self.targetOpenMax ? "" : "; the target is stated for \(Self.targetOpenMax), this run saw \(openMax)"
                lines.append(
                    "- Swift (wrapper default) vs plain C lws: total PSS \(Self.fixed(swiftPSS, 1)) MiB vs \(Self.fixed(cPSS, 1)) MiB, "
                        + "ratio \(Self.fixed(ratio, 2)) (target ≤ \(Self.fixed(Self.targetPSSRatioToC, 1))\(stated)): **\(met ? "met" : "missed")**.")
            } else {
                lines.append("- Swift (wrapper default) vs plain C lws: PSS could not be read for every child, so no ratio.")
            }
            if c.fdLimitPerThread != wrapper.fdLimitPerThread {
                lines.append("- **Not comparable**: plain C lws ran with fd_limit_per_thread \(c.fdLimitPerThread.map(String.init) ?? "none"), the wrapper with \(wrapper.fdLimitPerThread.map(String.init) ?? "none").")
            }
        }
        return lines
    }

    private func run(_ kind: RunKind) -> RunResult? { runs.first { $0.kind == kind } }

    // MARK: Numbers (no Foundation)

    private static func mib(_ kibibytes: Double) -> Double { kibibytes / 1024 }

    /// `value` with exactly `decimals` digits after the point.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        var scale = 1
        for _ in 0 ..< decimals { scale *= 10 }
        let scaled = Int((abs(value) * Double(scale)).rounded())
        var text = "\(scaled / scale)"
        if decimals > 0 {
            let fraction = String(scaled % scale)
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return (value < 0 && scaled != 0 ? "-" : "") + text
    }

    /// ``fixed(_:_:)`` with a sign, "+1.23" or "-0.40".
    static func signed(_ value: Double, _ decimals: Int) -> String {
        let text = fixed(value, decimals)
        return text.hasPrefix("-") ? text : "+" + text
    }

    /// "16,777,216".
    static func grouped(_ value: Int) -> String {
        var digits = String(abs(value))
        var groups: [Substring] = []
        while digits.count > 3 {
            groups.insert(Substring(digits.suffix(3)), at: 0)
            digits.removeLast(3)
        }
        groups.insert(Substring(digits), at: 0)
        return (value < 0 ? "-" : "") + groups.joined(separator: ",")
    }
}

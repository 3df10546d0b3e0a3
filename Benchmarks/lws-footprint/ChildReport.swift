/// The one line a child prints on stdout once its connections have each echoed a message.
///
/// `FOOTPRINT rss_kib=… rss_anon_kib=… rss_file_kib=… fd_table_bytes=… fd_limit_per_thread=…|none open_max=… connections=…`
struct ChildReport: Sendable, Equatable {
    static let marker = "FOOTPRINT"

    /// `VmRSS` of the child, KiB.
    var rssKiB: Int
    /// `RssAnon` of the child, KiB.
    var rssAnonKiB: Int
    /// `RssFile` of the child, KiB.
    var rssFileKiB: Int
    /// The context's `estimatedFDTableBytes`; 0 without a context.
    var fdTableBytes: Int
    /// The context's `fdLimitPerThread`; `nil` without a context.
    var fdLimitPerThread: Int?
    /// `sysconf(_SC_OPEN_MAX)` in the child: the open-file limit lws sizes its tables by.
    var openMax: Int
    /// Connections that echoed a message.
    var connections: Int

    init(status: ProcStatus, fdTableBytes: Int, fdLimitPerThread: Int?, openMax: Int, connections: Int) {
        rssKiB = status.rssKiB
        rssAnonKiB = status.rssAnonKiB
        rssFileKiB = status.rssFileKiB
        self.fdTableBytes = fdTableBytes
        self.fdLimitPerThread = fdLimitPerThread
        self.openMax = openMax
        self.connections = connections
    }

    /// Parses a report line; `nil` for anything else.
    init?(line: String) {
        let words = line.split(separator: " ")
        guard words.first == Substring(Self.marker) else { return nil }
        var values: [Substring: Substring] = [:]
        for word in words.dropFirst() {
            let pair = word.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return nil }
            values[pair[0]] = pair[1]
        }
        func number(_ key: Substring) -> Int? { values[key].flatMap { Int($0) } }
        guard let rss = number("rss_kib"), let anon = number("rss_anon_kib"), let file = number("rss_file_kib"),
              let table = number("fd_table_bytes"), let limit = values["fd_limit_per_thread"],
              let openMax = number("open_max"), let connections = number("connections")
        else { return nil }
        rssKiB = rss
        rssAnonKiB = anon
        rssFileKiB = file
        fdTableBytes = table
        if limit == "none" {
            fdLimitPerThread = nil
        } else if let value = Int(limit) {
            fdLimitPerThread = value
        } else {
            return nil
        }
        self.openMax = openMax
        self.connections = connections
    }

    /// The line as printed.
    var line: String {
        "\(Self.marker) rss_kib=\(rssKiB) rss_anon_kib=\(rssAnonKiB) rss_file_kib=\(rssFileKiB)"
            + " fd_table_bytes=\(fdTableBytes) fd_limit_per_thread=\(fdLimitPerThread.map(String.init) ?? "none")"
            + " open_max=\(openMax) connections=\(connections)"
    }
}

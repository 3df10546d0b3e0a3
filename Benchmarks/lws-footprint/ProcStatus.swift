#if canImport(Glibc)
import Glibc
#endif

/// Memory counters from `/proc`.
struct ProcStatus: Sendable {
    /// `VmRSS`: resident memory, KiB.
    let rssKiB: Int
    /// `RssAnon`: the anonymous part (heap, stacks, lws's tables), KiB.
    let rssAnonKiB: Int
    /// `RssFile`: the file-backed part (the binary and its libraries), KiB.
    let rssFileKiB: Int

    /// Reads the calling process's counters from `/proc/self/status`.
    /// - Throws: ``FootprintError/procStatusUnreadable`` when a field is missing.
    static func current() throws -> ProcStatus {
        let fields = kibibyteFields(of: try readAll("/proc/self/status"))
        guard let rss = fields["VmRSS"], let anon = fields["RssAnon"], let file = fields["RssFile"] else {
            throw FootprintError.procStatusUnreadable
        }
        return ProcStatus(rssKiB: rss, rssAnonKiB: anon, rssFileKiB: file)
    }

    /// `Pss` of process `pid` from its `/proc/PID/smaps_rollup`, KiB: its resident memory with
    /// every shared page divided among the processes that map it.
    static func proportionalSetKiB(of pid: pid_t) -> Int? {
        (try? readAll("/proc/\(pid)/smaps_rollup")).flatMap { kibibyteFields(of: $0)["Pss"] }
    }

    /// The "Name:   1234 kB" lines, by name.
    private static func kibibyteFields(of text: String) -> [String: Int] {
        var fields: [String: Int] = [:]
        for line in text.split(separator: "\n") where line.hasSuffix(" kB") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let number = parts[1].dropLast(3).trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if let value = Int(number) { fields[String(parts[0])] = value }
        }
        return fields
    }

    private static func readAll(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FootprintError.procStatusUnreadable }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[0 ..< count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

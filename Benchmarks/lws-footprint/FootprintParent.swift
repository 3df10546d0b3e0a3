import Dispatch
import LibWebSockets
#if canImport(Glibc)
import Glibc
#endif

/// The parent: the C builds, an echo server, then one fleet of children per ``RunKind``, then the
/// table.
///
/// Runs synchronously on a thread of its own; the server's handlers run on its service thread.
struct FootprintParent: Sendable {
    let processes: Int
    let connections: Int
    let messageBytes: Int
    let simulatedOpenMax: Int?
    let timeout: Duration

    /// Runs the four fleets.
    /// - Returns: the Markdown report.
    func run() throws -> String {
        let scratch = try ScratchDirectory.make()
        defer { scratch.remove() }
        let signals = Self.killChildrenOnSignal(removing: scratch)
        defer { for source in signals { source.cancel() } }
        let library = try simulatedOpenMax.map { _ in try FakeNofileLibrary.build(in: scratch, timeout: timeout) }
        let plainC = try PlainCChild.build(in: scratch, timeout: timeout)

        let server = try LWSContext.builder()
            .listen(host: "127.0.0.1", port: 0)
            .maxConnections(processes * connections + 64)
            .lwsLogLevels([.error])
            .onConnection { connection in
                for try await message in connection.messages {
                    try await connection.send(message)
                }
            }
            .build()
        defer { try? server.syncShutdown() }
        guard let port = server.port else { throw FootprintError.io("the echo server has no port") }

        var environment = ChildProcess.inheritedEnvironment()
        let lifetime = Int(timeout.components.seconds) * 3 + 10
        // Options that the Swift child and the C child both take.
        var childArguments = [
            "--port", "\(port)", "--connections", "\(connections)", "--message-bytes", "\(messageBytes)",
            "--child-lifetime", "\(lifetime)",
        ]
        if let library, let simulatedOpenMax {
            environment = library.environment(simulating: simulatedOpenMax, from: environment)
            childArguments += ["--expect-open-max", "\(simulatedOpenMax)"]
        }
        let fleet = ChildFleet(environment: environment, timeout: timeout)

        var runs: [RunResult] = []
        for kind in RunKind.allCases {
            let executable: String, arguments: [String]
            switch kind {
            case .bare, .wrapperDefault, .lwsDefault:
                (executable, arguments) = ("/proc/self/exe", ["lws-footprint", "--child", kind.rawValue] + childArguments)
            case .plainC:
                // The same fd budget as the wrapper's default picked in (b)'s children.
                guard let budget = runs.first(where: { $0.kind == .wrapperDefault })?.fdLimitPerThread else {
                    throw FootprintError.childFailed("the wrapper-default children reported no fd_limit_per_thread")
                }
                (executable, arguments) = (plainC.path, ["plain-c-child"] + childArguments + ["--fd-limit-per-thread", "\(budget)"])
            }
            Self.progress("\(kind.rawValue): \(processes) processes ...")
            let result = try fleet.run(kind: kind, count: processes, executable: executable, arguments: arguments)
            Self.progress(" all reported after \(Self.seconds(result.startUp)), all exited \(Self.seconds(result.shutDown)) later\n")
            runs.append(result)
        }
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return FootprintTable(
            runs: runs, processes: processes, connections: connections, simulatedOpenMax: simulatedOpenMax,
            realLimits: (Int(clamping: limit.rlim_cur), Int(clamping: limit.rlim_max))
        ).markdown
    }

    /// On SIGINT or SIGTERM: kill every child, delete the temporary C builds, exit 130.
    private static func killChildrenOnSignal(removing scratch: ScratchDirectory) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                ChildProcess.killAllRunning()
                scratch.remove()
                progress("\nlws-footprint: interrupted; children killed\n")
                _exit(130)
            }
            source.resume()
            return source
        }
    }

    private static func progress(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let count = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return }
            bytes = bytes.dropFirst(count)
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        FootprintTable.fixed(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18, 2) + " s"
    }
}

import ArgumentParser
import Dispatch
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Measures what one lws context costs per process when many small processes each have one.
@main
struct Footprint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lws-footprint",
        abstract: "Memory per process of one lws context: bare vs the wrapper's default vs lws's default vs plain C lws.",
        discussion: """
            Starts an echo server, then four runs of N child processes, all N alive when measured: \
            (a) this binary again with no context, (b) LWSContext.builder().build(), (c) the same with \
            .fdBudget(.lwsDefault), i.e. lws's own fd_limit_per_thread = 0, (d) a small C program, \
            compiled at run time with cc and pkg-config, using libwebsockets directly with (b)'s \
            settings and fd budget. Each child opens its connections, echoes one message on each and \
            reports its VmRSS; the parent samples every child's PSS.
            """)

    @Option(help: "Child processes alive at once, per run.")
    var processes = 50

    @Option(help: "Connections each child opens to the parent's echo server (0: context only).")
    var connections = 2

    @Option(help: "Make lws see this open-file limit: sysconf(_SC_OPEN_MAX) interposed with LD_PRELOAD (needs cc).")
    var simulateNofile: Int?

    @Option(help: "Also write the Markdown table to this file.")
    var output: String?

    @Option(help: "Size of the message each connection echoes, in bytes.")
    var messageBytes = 1024

    @Option(help: "Seconds allowed for each phase of a run: all reports in, then all children exited.")
    var timeout = 30

    @Option(help: .hidden)
    var child: RunKind?

    @Option(help: .hidden)
    var port = 0

    @Option(help: .hidden)
    var expectOpenMax: Int?

    @Option(help: .hidden)
    var childLifetime = 120

    func validate() throws {
        guard processes >= 1 else { throw ValidationError("--processes must be at least 1") }
        guard connections >= 0 else { throw ValidationError("--connections must not be negative") }
        guard messageBytes >= 1 else { throw ValidationError("--message-bytes must be at least 1") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1") }
        if let simulateNofile, simulateNofile < 1 { throw ValidationError("--simulate-nofile must be positive") }
        if child != nil, !(1 ... 65535).contains(port) { throw ValidationError("--child needs --port") }
        if child == .plainC { throw ValidationError("--child \(RunKind.plainC.rawValue) is the C program, not this binary") }
    }

    func run() async throws {
        // The library logs each context start at info; keep the children's stderr for problems.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        if let child {
            try await FootprintChild(
                kind: child, port: port, connections: connections, messageBytes: messageBytes,
                expectedOpenMax: expectOpenMax, lifetimeSeconds: childLifetime
            ).run()
            return
        }
        let parent = FootprintParent(
            processes: processes, connections: connections, messageBytes: messageBytes,
            simulatedOpenMax: simulateNofile, timeout: .seconds(timeout))
        // The parent blocks in poll() and waitpid(): keep that off the concurrency pool.
        let table = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
            DispatchQueue(label: "lws-footprint.parent").async {
                continuation.resume(with: Result { try parent.run() })
            }
        }
        print(table, terminator: "")
        fflush(nil)
        if let output { try Self.write(table, to: output) }
    }

    private static func write(_ text: String, to path: String) throws {
        guard let file = fopen(path, "w") else {
            throw FootprintError.io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let written = fputs(text, file)
        guard fclose(file) == 0, written >= 0 else { throw FootprintError.io("cannot write \(path)") }
    }
}

import ArgumentParser
import LibWebSockets
import Logging

/// The client side of the Autobahn cases: connects to a fuzzing server (kosoku in
/// `fuzzingserver` mode), asks how many cases there are, runs each by echoing every message it
/// is sent until the server closes, then asks the server to write its report.
@main
struct AutobahnClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lws-autobahn-client", abstract: "Runs the Autobahn client cases against a fuzzing server.")

    @Argument(help: "The fuzzing server, e.g. ws://127.0.0.1:9001")
    var server: String

    @Flag(help: "Offer permessage-deflate.")
    var deflate = false

    @Option(help: "Cases run at once.")
    var parallel = 1

    @Option(help: "The agent name in the reports.")
    var agent = "lws-swift"

    @Option(help: "Largest message accepted, in bytes (the cases send up to 16 MiB).")
    var maxMessageSize = 16 << 20

    func validate() throws {
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
    }

    func run() async throws {
        var logger = Logger(label: "lws-autobahn-client")
        logger.logLevel = .warning
        var builder = LWSContext.builder().logger(logger).maxMessageSize(maxMessageSize).maxConnections(parallel + 2)
        // Offering client_no_context_takeover lets the cases that ask the client to reset its
        // compressor (13.2, 13.5, 13.6) do so; the others do not ask.
        if deflate { builder = builder.compression(.init(offerClientNoContextTakeover: true)) }
        let context = try builder.build()
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server

        let counter = try await context.connect(to: "\(base)/getCaseCount")
        var count = 0
        for try await message in counter.messages {
            if case .text(let text) = message { count = Int(text) ?? 0 }
        }
        print("\(count) cases")

        var failures = 0
        try await withThrowingTaskGroup(of: Bool.self) { group in
            var next = 1
            func start() {
                let number = next
                next += 1
                group.addTask { await echoCase(number, context: context, base: base) }
            }
            while next <= min(count, parallel) { start() }
            while let succeeded = try await group.next() {
                if !succeeded { failures += 1 }
                if next <= count { start() }
            }
        }

        let report = try await context.connect(to: "\(base)/updateReports?agent=\(agent)")
        for try await _ in report.messages {}
        _ = await report.closed()
        await context.shutdown()
        print("ran \(count) cases; \(failures) ended with a client-side error")
    }

    /// Echoes everything case `number` sends until the server closes. False on a client error.
    private func echoCase(_ number: Int, context: LWSContext, base: String) async -> Bool {
        do {
            let connection = try await context.connect(to: "\(base)/runCase?case=\(number)&agent=\(agent)")
            do {
                for try await message in connection.messages { try await connection.send(message) }
            } catch {
                // The case may end the connection on purpose; the server's report judges it.
            }
            _ = await connection.closed()
            return true
        } catch {
            print("case \(number): \(error)")
            return false
        }
    }
}

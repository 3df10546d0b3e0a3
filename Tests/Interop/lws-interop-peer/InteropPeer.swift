import ArgumentParser
import Dispatch
import LibWebSockets
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// This package's side of the interop test against Python's `websockets` (Tests/Interop/run.sh).
///
/// `serve` is an echo server that also obeys the commands below, for `py_client.py`;
/// `check URL` drives this package's client against `py_server.py`, which knows the same
/// commands, and checks every answer. Commands are text messages starting with `interop:`:
///
/// - `interop:ping PAYLOAD`: ping the sender with PAYLOAD, await the pong, then send
///   `interop:pong-received PAYLOAD`;
/// - `interop:close CODE REASON`: close the connection with that code and reason;
/// - `interop:report PATH`: once the connection at PATH has closed (waiting up to 5 s), send
///   one line per message it received (`text BYTES` or `binary BYTES`; the Python server adds
///   the frame count) and a last line `close CODE REASON` with the close it received.
@main
struct InteropPeer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lws-interop-peer",
        abstract: "This package's side of the interop test with Python's websockets.",
        subcommands: [Serve.self, Check.self])
}

/// The size of the large messages, each way.
let largeSize = 10 << 20
/// What both sides accept: more than the large messages.
let maxMessage = 16 << 20
/// The frame size this package fragments at by default (`maxFrameSize`).
let frameSize = LWSConfiguration().maxFrameSize

func quietLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .warning
    return logger
}

// MARK: - serve

/// What each connection received, by request path, kept for `interop:report`.
final class Records: Sendable {
    struct Entry: Sendable {
        var messages: [String] = []
        var close: String?
    }
    private let entries = Mutex<[String: Entry]>([:])

    func received(_ message: WebSocketMessage, at path: String) {
        let line: String
        switch message {
        case .text(let text): line = "text \(text.utf8.count)"
        case .binary(let bytes): line = "binary \(bytes.count)"
        }
        entries.withLock { $0[path, default: Entry()].messages.append(line) }
    }

    func closed(_ result: WebSocketCloseResult, at path: String) {
        entries.withLock { $0[path, default: Entry()].close = "close \(result.code.rawValue) \(result.reason)" }
    }

    /// The report for `path`, once its connection has closed; nil after 5 s without.
    func report(for path: String) async -> String? {
        for _ in 0 ..< 500 {
            let entry = entries.withLock { $0[path] }
            if let entry, let close = entry.close { return (entry.messages + [close]).joined(separator: "\n") }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An echo server that also pings, closes and reports on request (see the commands).")

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 0

    func run() async throws {
        let records = Records()
        let context = try LWSContext.builder()
            .listen(host: host, port: port)
            .maxMessageSize(maxMessage)
            .logger(quietLogger("lws-interop-peer"))
            .onConnection { connection in
                let path = connection.info.path
                do {
                    for try await message in connection.messages {
                        guard case .text(let text) = message, text.hasPrefix("interop:") else {
                            records.received(message, at: path)
                            try await connection.send(message)
                            continue
                        }
                        try await Self.obey(text.dropFirst("interop:".count), on: connection, records: records)
                    }
                } catch {
                    // The end of the connection; its close result is recorded below.
                }
                records.closed(await connection.closed(), at: path)
            }
            .build()
        print("listening on ws://\(host):\(context.port ?? port)")
        fflush(nil)
        let signals = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { try? context.syncShutdown() }
            source.resume()
            return source
        }
        await context.waitUntilShutdown()
        withExtendedLifetime(signals) {}
    }

    private static func obey(_ command: Substring, on connection: WebSocketConnection, records: Records) async throws {
        let words = command.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        switch (words.first, words.count) {
        case ("ping", 2):
            try await connection.ping(payload: Array(words[1].utf8))
            try await connection.send(text: "interop:pong-received \(words[1])")
        case ("close", 3) where UInt16(words[1]) != nil:
            try connection.startClose(code: WebSocketCloseCode(rawValue: UInt16(words[1])!), reason: String(words[2]))
        case ("report", 2):
            try await connection.send(text: await records.report(for: String(words[1])) ?? "no close recorded for \(words[1])")
        default:
            try await connection.send(text: "interop:unknown command \(command)")
        }
    }
}

// MARK: - check

/// The checks of this package's client against `py_server.py`. Prints `ok - NAME` or
/// `FAIL - NAME: WHY` for each and exits 1 if any failed.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs this package's client against py_server.py and checks every answer.")

    @Argument(help: "The Python server, e.g. ws://127.0.0.1:8765")
    var server: String

    @Option(help: "Seconds before the whole check gives up.")
    var timeout = 120

    func run() async throws {
        let limit = timeout
        Watchdog.start(seconds: limit)
        let context = try LWSContext.builder()
            .maxMessageSize(maxMessage)
            .lwsLogLevels([.error])
            .logger(quietLogger("lws-interop-peer"))
            .build()
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        var results = Results()
        do {
            try await runChecks(context: context, base: base, results: &results)
        } catch {
            results.fail("the checks stopped", "\(error)")
        }
        await context.shutdown()
        print("swift client: \(results.passed) checks ok, \(results.failed) not")
        if results.failed > 0 { throw ExitCode(1) }
    }

    /// The messages sent on the first connection, in order, each with the number of frames this
    /// package's client sends it in (one per `maxFrameSize` bytes).
    static func messages() -> [WebSocketMessage] {
        let fragmented = String(repeating: "fragmented é ", count: 150_000 / 14)   // about 150 KB, 3 frames
        let largeText = String(repeating: "0123456789abcdé\n", count: largeSize / 17)
        return [
            .text("hello"),
            .text("héllo wörld ✓ 🙂"),
            .binary((0 ... 255).map { UInt8($0) }),
            .text(""),
            .binary([]),
            .text(fragmented),
            .binary((0 ..< largeSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 16) }),
            .text(largeText),
        ]
    }

    static func describe(_ message: WebSocketMessage) -> String {
        switch message {
        case .text(let text): return "text \(text.utf8.count)"
        case .binary(let bytes): return "binary \(bytes.count)"
        }
    }

    static func frames(_ message: WebSocketMessage) -> Int { max(1, (message.byteCount + frameSize - 1) / frameSize) }

    private func runChecks(context: LWSContext, base: String, results: inout Results) async throws {
        // One connection: echoes, pings both ways, then this side closes with 4001.
        let connection = try await context.connect(to: "\(base)/swift-client")
        var incoming = connection.messages.makeAsyncIterator()
        let sent = Self.messages()
        for message in sent {
            try await connection.send(message)
            let echo = try await incoming.next()
            let name = "echo of \(Self.describe(message))\(Self.frames(message) > 1 ? " (\(Self.frames(message)) frames)" : "")"
            if echo == message {
                results.pass(name)
            } else {
                results.fail(name, "got \(echo.map(Self.describe) ?? "the end of the connection")")
            }
        }

        try await connection.ping(payload: Array("ping from swift".utf8))
        results.pass("ping from swift answered with a pong")

        try await connection.send(text: "interop:ping ping-from-python")
        let pongReport = try await incoming.next()
        results.expect("python's ping answered with a pong", pongReport, .text("interop:pong-received ping-from-python"))

        let closing = try await connection.close(code: WebSocketCloseCode(rawValue: 4001), reason: "bye from swift")
        results.expect("close 4001 from swift, echoed by python", "\(closing.code.rawValue) \(closing.reason) local=\(closing.initiatedLocally)",
                       "4001 bye from swift local=true")

        // What the Python server saw on that connection: types, sizes, frames, the close.
        let reporter = try await context.connect(to: "\(base)/report")
        try await reporter.send(text: "interop:report /swift-client")
        var reports = reporter.messages.makeAsyncIterator()
        let report = try await reports.next()
        let expected = sent.map { "\(Self.describe($0)) \(Self.frames($0))" } + ["close 4001 bye from swift"]
        if case .text(let text) = report, text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) == expected {
            results.pass("python received every message with its type, size and frames, and close 4001")
        } else {
            results.fail("python's report", "expected \(expected), got \(String(describing: report))")
        }
        try await reporter.close()

        // The other direction: python closes with 4002 and a reason.
        let closed = try await context.connect(to: "\(base)/python-closes")
        try await closed.send(text: "interop:close 4002 closing from python")
        var rest = closed.messages.makeAsyncIterator()
        while try await rest.next() != nil {}
        let result = await closed.closed()
        results.expect("close 4002 from python", "\(result.code.rawValue) \(result.reason) local=\(result.initiatedLocally)",
                       "4002 closing from python local=false")
    }
}

struct Results {
    var passed = 0
    var failed = 0

    mutating func pass(_ name: String) {
        passed += 1
        print("ok - \(name)")
        fflush(nil)
    }

    mutating func fail(_ name: String, _ why: String) {
        failed += 1
        print("FAIL - \(name): \(why)")
        fflush(nil)
    }

    mutating func expect<T: Equatable>(_ name: String, _ got: T, _ want: T) {
        if got == want { pass(name) } else { fail(name, "expected \(want), got \(got)") }
    }
}

enum Watchdog {
    /// Ends the process with status 1 after `seconds`, whatever is still waiting.
    static func start(seconds: Int) {
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds)) {
            print("FAIL - the check took over \(seconds) s")
            fflush(nil)
            exit(1)
        }
    }
}

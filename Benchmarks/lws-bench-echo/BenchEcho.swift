import LibWebSockets
#if canImport(Glibc)
import Glibc
#endif

/// The echo of `lws-echo-server`, in the three handler styles, for measuring under
/// `valgrind --tool=callgrind` (`Benchmarks/callgrind.sh`).
///
/// The example server cannot run there: its `main` is async, so Swift's runtime hands the main
/// thread to `dispatch_main()`, which parks it in libdispatch's signal thread
/// (`_dispatch_sig_thread` → `sigsuspend`), and valgrind 3.19 dies with an internal SIGSEGV at
/// that `sigsuspend`. This program's `main` is synchronous: the main thread builds the context,
/// then blocks in `poll` until SIGTERM or SIGINT (a plain `sigaction` handler that writes to a
/// pipe), stdin closing (`--stdin`) or `--seconds` running out, and shuts the context down. The
/// async styles still run their handlers on Swift's global executor (libdispatch's worker
/// threads), as in the example. No swift-argument-parser, no Dispatch signal sources, no logger.
@main
enum BenchEcho {
    enum Style: String {
        case async, closures, inline
    }

    struct Options {
        var style = Style.inline
        var host = "127.0.0.1"
        var port = 0
        var maxConnections = 6000
        var seconds = 0.0
        var watchStdin = false
    }

    static let usage = """
        usage: lws-bench-echo [--style inline|async|closures] [--host H] [--port N]
                              [--max-connections N] [--seconds S] [--stdin]
        Echoes every message with its own opcode. Stops on SIGTERM or SIGINT, after S seconds
        (--seconds, 0 = never) or when stdin closes (--stdin). Prints "listening on ws://H:PORT".
        """

    static func fail(_ message: String) -> Never {
        printError("lws-bench-echo: \(message)\n\(usage)\n")
        exit(2)
    }

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var rest = arguments[...]
        while let option = rest.popFirst() {
            if option == "--stdin" { options.watchStdin = true; continue }
            if option == "-h" || option == "--help" { print(usage); exit(0) }
            guard let value = rest.popFirst() else { fail("\(option) needs a value") }
            switch option {
            case "--style":
                guard let style = Style(rawValue: value) else { fail("--style inline|async|closures") }
                options.style = style
            case "--host": options.host = value
            case "--port":
                guard let port = Int(value), (0...65535).contains(port) else { fail("bad --port \(value)") }
                options.port = port
            case "--max-connections":
                guard let n = Int(value), n > 0 else { fail("bad --max-connections \(value)") }
                options.maxConnections = n
            case "--seconds":
                guard let s = Double(value), s >= 0 else { fail("bad --seconds \(value)") }
                options.seconds = s
            default: fail("unknown option \(option)")
            }
        }
        return options
    }

    /// The example's inline echo: queue the message, or close with 1008 when the send buffer
    /// is full rather than drop it unseen.
    static func echo(_ message: WebSocketMessage, on connection: WebSocketConnection) {
        do {
            try connection.trySend(message)
        } catch {
            try? connection.startClose(code: .policyViolation, reason: "send buffer full")
        }
    }

    /// The context with the example's handlers for `style`.
    static func makeContext(_ options: Options) throws -> LWSContext {
        let builder = LWSContext.builder()
            .listen(host: options.host, port: options.port)
            .maxConnections(options.maxConnections)
            .subprotocols(["echo"])  // as the example; its other settings are the library's defaults
        switch options.style {
        case .async:
            return try builder.onConnection { connection in
                for try await message in connection.messages {
                    try await connection.send(message)
                }
            }.build()
        case .closures:
            return try builder
                .onText { connection, text in try? await connection.send(text: text) }
                .onBinary { connection, bytes in try? await connection.send(binary: bytes) }
                .build()
        case .inline:
            var callbacks = WebSocketInlineCallbacks()
            callbacks.onText = { connection, text in echo(.text(text), on: connection) }
            callbacks.onBinary = { connection, bytes in echo(.binary(bytes), on: connection) }
            return try builder.inline(callbacks).build()
        }
    }

    static func main() {
        let options = parse(Array(CommandLine.arguments.dropFirst()))
        let context: LWSContext
        do {
            context = try makeContext(options)
        } catch {
            printError("lws-bench-echo: \(error)\n")
            exit(1)
        }
        print("listening on ws://\(options.host):\(context.port ?? options.port) (style \(options.style.rawValue))")
        fflush(nil)
        StopSignal.wait(seconds: options.seconds, watchStdin: options.watchStdin)
        do {
            try context.syncShutdown()
        } catch {
            printError("lws-bench-echo: shutdown: \(error)\n")
            exit(1)
        }
    }
}

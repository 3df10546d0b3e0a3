import ArgumentParser
import Dispatch
import LibWebSockets
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Echoes every message back with its own opcode, on any path. Over plain HTTP it serves a
/// page that talks to it at `/` (or a folder, with `--static`) and a health check at `/healthz`.
@main
struct EchoServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lws-echo-server", abstract: "A WebSocket echo server on libwebsockets.")

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 7681

    @Option(help: "WebSocket connections served at once; more are refused.")
    var maxConnections = 1024

    @Option(help: "Largest message accepted, in bytes; larger ones are closed with 1009.")
    var maxMessageSize = 16 << 20

    @Option(help: "fd slots for lws (fd_limit_per_thread); 0 derives them from --max-connections.")
    var fdBudget = 0

    @Option(help: "lws rx_buffer_size: the largest chunk one read delivers (0: lws's 4096).")
    var rxBufferSize = LWSConfiguration().rxBufferSize

    @Option(help: "Subprotocols accepted besides none (repeatable).")
    var subprotocol: [String] = ["echo"]

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Serve wss:// with this PEM certificate chain (needs --tls-key).")
    var tlsCert: String?

    @Option(help: "The PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "With --tls-cert: also serve plain ws:// on this port (0 picks a free one).")
    var plainPort: Int?

    @Flag(help: "Accept permessage-deflate from clients that offer it.")
    var deflate = false

    @Option(help: "Serve this folder at / in place of the built-in echo page.")
    var `static`: String?

    @Option(help: "Handler style: async (a task per connection pulling messages), closures, or inline (synchronous closures on the service thread, the fastest).")
    var style: HandlerStyle = .async

    enum HandlerStyle: String, ExpressibleByArgument {
        case async, closures, inline
    }

    /// Inline echo: queue the message, or, when the client does not read and the send buffer is
    /// full, tell it so with 1008 rather than drop the message unseen.
    static func echo(_ message: WebSocketMessage, on connection: WebSocketConnection) {
        do {
            try connection.trySend(message)
        } catch {
            try? connection.startClose(code: .policyViolation, reason: "send buffer full")
        }
    }

    func run() throws {
        var logger = Logger(label: "lws-echo-server")
        logger.logLevel = logLevel
        LWSLogBridge.setLogger(logger)

        var builder = LWSContext.builder()
            .listen(host: host, port: port)
            .maxConnections(maxConnections)
            .maxMessageSize(maxMessageSize)
            .rxBufferSize(rxBufferSize)
            .fdBudget(fdBudget > 0 ? .fixed(fdBudget) : .automatic)
            .subprotocols(subprotocol)
            .logger(logger)
            .route("/healthz") { _ in .text("ok\n") }
        if deflate { builder = builder.compression() }
        if let directory = `static` {
            builder = builder.serveFiles(from: directory, at: "/")
        } else {
            builder = builder.route("/") { _ in
                HTTPRouteResponse(headers: [("content-type", "text/html; charset=utf-8")], body: Array(EchoPage.html.utf8))
            }
        }
        if let tlsCert, let tlsKey {
            builder = builder.tls(certificateChainPath: tlsCert, privateKeyPath: tlsKey)
            if let plainPort { builder = builder.plainListen(host: host, port: plainPort) }
        } else if tlsCert != nil || tlsKey != nil {
            throw ValidationError("--tls-cert and --tls-key go together")
        } else if plainPort != nil {
            throw ValidationError("--plain-port is a second listener beside the wss:// one: it needs --tls-cert and --tls-key")
        }
        let context: LWSContext
        switch style {
        case .async:
            context = try builder.onConnection { connection in
                for try await message in connection.messages {
                    try await connection.send(message)
                }
            }.build()
        case .closures:
            context = try builder
                .onText { connection, text in try? await connection.send(text: text) }
                .onBinary { connection, bytes in try? await connection.send(binary: bytes) }
                .build()
        case .inline:
            var callbacks = WebSocketInlineCallbacks()
            callbacks.onText = { connection, text in Self.echo(.text(text), on: connection) }
            callbacks.onBinary = { connection, bytes in Self.echo(.binary(bytes), on: connection) }
            context = try builder.inline(callbacks).build()
        }
        print("listening on \(tlsCert == nil ? "ws" : "wss")://\(host):\(context.port ?? port)")
        if let plain = context.plainPort { print("listening on ws://\(host):\(plain)") }
        fflush(nil)

        let signals = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { try? context.syncShutdown() }
            source.resume()
            return source
        }
        // The main thread waits synchronously: an async main would end it in dispatch_main()'s
        // pthread_exit, whose unwinding reads every library's unwind tables (BENCHMARKS.md,
        // "Start-up memory").
        let stopped = DispatchSemaphore(value: 0)
        Task {
            await context.waitUntilShutdown()
            stopped.signal()
        }
        stopped.wait()
        logger.info("shut down", metadata: ["refused": "\(context.stats.refusedConnections)"])
        withExtendedLifetime(signals) {}
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

import ArgumentParser
import Dispatch
import LibWebSockets
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Sends messages to a WebSocket server and prints what comes back.
@main
struct Client: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lws-client", abstract: "A WebSocket client on libwebsockets.")

    @Argument(help: "The server, e.g. ws://127.0.0.1:7681/")
    var url: String

    @Option(name: .customLong("send"), help: "A message to send (repeatable).")
    var messages: [String] = []

    @Flag(help: "Send the messages as binary.")
    var binary = false

    @Option(help: "Send each message this many times.")
    var count = 1

    @Flag(help: "Read lines from stdin and send each; print what arrives (like wscat).")
    var interactive = false

    @Option(help: "Subprotocol to offer (repeatable).")
    var subprotocol: [String] = []

    @Option(help: "For wss://: a PEM file of extra trust roots (a private CA), besides the system's.")
    var caFile: String?

    @Flag(help: "For wss://: accept a self-signed server certificate. Insecure.")
    var insecureAllowSelfSigned = false

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard interactive || !messages.isEmpty else { throw ValidationError("give --send TEXT or --interactive") }
    }

    func run() async throws {
        var logger = Logger(label: "lws-client")
        logger.logLevel = .warning
        var tls = TLSClientConfiguration(trustRootsPath: caFile)
        tls.insecureAllowSelfSigned = insecureAllowSelfSigned
        let context = try LWSContext.builder().lwsLogLevels([.error]).logger(logger).clientTLS(tls).build()
        let connection = try await context.connect(to: url, subprotocols: subprotocol)
        if interactive {
            try await runInteractive(connection)
        } else {
            try await runBatch(connection)
        }
        _ = try? await connection.close()
        await context.shutdown()
    }

    private func message(_ text: String) -> WebSocketMessage {
        binary ? .binary(Array(text.utf8)) : .text(text)
    }

    private func runBatch(_ connection: WebSocketConnection) async throws {
        let expected = messages.count * count
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var received = 0
                for try await message in connection.messages {
                    Self.show(message)
                    received += 1
                    if received == expected { return }
                }
                throw ValidationError("connection closed after \(received) of \(expected) echoes: \(connection.closeResult.map { "\($0.code) \($0.reason)" } ?? "")")
            }
            for _ in 0 ..< count {
                for text in messages { try await connection.send(message(text)) }
            }
            try await group.waitForAll()
        }
    }

    private func runInteractive(_ connection: WebSocketConnection) async throws {
        let printer = Task {
            for try await message in connection.messages { Self.show(message) }
        }
        let lines = AsyncStream<String> { continuation in
            DispatchQueue.global().async {
                while let line = readLine() { continuation.yield(line) }
                continuation.finish()
            }
        }
        for await line in lines { try await connection.send(message(line)) }
        _ = try? await connection.close()
        _ = try? await printer.value
    }

    private static func show(_ message: WebSocketMessage) {
        switch message {
        case .text(let text):
            print(text)
        case .binary(let bytes):
            let hex = bytes.prefix(16).map { byte in
                let digits = String(byte, radix: 16)
                return digits.count == 1 ? "0" + digits : digits
            }.joined(separator: " ")
            print("binary \(bytes.count) bytes: \(hex)\(bytes.count > 16 ? " ..." : "")")
        }
        fflush(nil)
    }
}

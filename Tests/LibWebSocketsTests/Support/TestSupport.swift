import Dispatch
import Foundation
@testable import LibWebSockets
import Logging
import Testing

enum TestError: Error, CustomStringConvertible {
    case timedOut(String)
    var description: String {
        switch self { case .timedOut(let what): return "timed out: \(what)" }
    }
}

/// Runs `body`, failing with ``TestError/timedOut`` after `seconds` so no test can hang.
///
/// Built on a continuation rather than a task group: ThreadSanitizer sees the hand-off through
/// a resumed continuation, but not a child task's result picked up by `group.next()`.
func withTimeout<T: Sendable>(
    _ seconds: Double, _ what: String = #function, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let pending = Locked<CheckedContinuation<T, any Error>?>(nil)
    let take: @Sendable () -> CheckedContinuation<T, any Error>? = {
        pending.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }
    }
    return try await withCheckedThrowingContinuation { continuation in
        pending.withLock { $0 = continuation }
        let work = Task {
            do {
                let value = try await body()
                take()?.resume(returning: value)
            } catch {
                take()?.resume(throwing: error)
            }
        }
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            if let continuation = take() {
                work.cancel()
                continuation.resume(throwing: TestError.timedOut(what))
            }
        }
    }
}

/// Whether this test binary runs under a sanitizer, whose shadow memory makes RSS meaningless.
let underSanitizer: Bool = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_init") != nil
    || dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") != nil

/// A quiet logger for contexts made by tests.
let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .error
    return logger
}()

extension LWSContextBuilder {
    /// A builder on 127.0.0.1, an ephemeral port, with a quiet logger.
    static func testServer() -> LWSContextBuilder {
        LWSContext.builder().listen(host: "127.0.0.1", port: 0).logger(quietLogger).shutdownGracePeriod(.seconds(2))
    }

    /// A client-only context with a quiet logger.
    static func testClient() -> LWSContextBuilder {
        LWSContext.builder().logger(quietLogger).shutdownGracePeriod(.seconds(2))
    }

    /// An echo server.
    func echo() -> LWSContextBuilder {
        onConnection { connection in
            for try await message in connection.messages { try await connection.send(message) }
        }
    }
}

/// Sends `count` texts ("\(prefix)0", "\(prefix)1", …) and expects them echoed back in order.
func expectNumberedEchoes(on connection: WebSocketConnection, count: Int, prefix: String = "") async throws {
    for i in 0 ..< count { try await connection.send(text: "\(prefix)\(i)") }
    var received = 0
    for try await message in connection.messages {
        #expect(message == .text("\(prefix)\(received)"))
        received += 1
        if received == count { break }
    }
    #expect(received == count)
}

/// Runs `body` with an echo server, a client context and one connection between them, within
/// `timeout` seconds, then shuts both contexts down (also when `body` throws).
func withEchoConnection(
    timeout: Double = 10, _ what: String = #function,
    _ body: @escaping @Sendable (WebSocketConnection, LWSContext, LWSContext) async throws -> Void
) async throws {
    let server = try LWSContextBuilder.testServer().echo().build()
    let client = try LWSContextBuilder.testClient().build()
    do {
        try await withTimeout(timeout, what) {
            let connection = try await client.connect(to: server.url)
            try await body(connection, server, client)
        }
    } catch {
        await client.shutdown()
        await server.shutdown()
        throw error
    }
    await client.shutdown()
    await server.shutdown()
}

extension LWSContext {
    var url: String { "ws://127.0.0.1:\(port!)/" }
}

/// The process's resident set, in bytes.
func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return kilobytes * 1024
    }
    return 0
}

/// Collects log messages, for checking what reaches swift-log.
/// Checked `Sendable`: its only stored property is a `Locked`, which holds all its mutable state.
final class CapturingLogHandler: LogHandler, Sendable {
    private struct State {
        var lines: [(Logger.Level, String)] = []
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
    }

    private let state = Locked(State())

    var metadata: Logger.Metadata {
        get { state.withLock { $0.metadata } }
        set { state.withLock { $0.metadata = newValue } }
    }

    var logLevel: Logger.Level {
        get { state.withLock { $0.logLevel } }
        set { state.withLock { $0.logLevel = newValue } }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { state.withLock { $0.metadata[key] } }
        set { state.withLock { $0.metadata[key] = newValue } }
    }

    func log(event: LogEvent) {
        let line = (event.level, "\(event.message)")
        state.withLock { $0.lines.append(line) }
    }

    var captured: [(Logger.Level, String)] { state.withLock { $0.lines } }
}

/// glibc's `malloc_trim`, which the Glibc module does not export: returns freed heap to the
/// system so RSS readings compare like with like.
@_silgen_name("malloc_trim")
@discardableResult
func malloc_trim(_ pad: Int) -> Int32

extension WebSocketConnection {
    /// The next message, read with a fresh iterator (connections allow one reader at a time,
    /// one after another).
    func nextMessage() async throws -> WebSocketMessage? {
        var iterator = messages.makeAsyncIterator()
        return try await iterator.next()
    }
}

/// What `build()` of `builder` as an echo server says: "built", or the error it threw (a context
/// it built is released at once).
func buildError(_ builder: LWSContextBuilder) -> String {
    do {
        _ = try builder.echo().build()
        return "built"
    } catch {
        return "\(error)"
    }
}

import Foundation
@testable import LibWebSockets
import Logging
import Synchronization
import Testing

extension AllTests {
    @Suite struct ContextLifecycleTests {
        /// One context that serves and connects to itself, used once and shut down.
        private static func cycle() async throws {
            let context = try LWSContextBuilder.testServer().echo().build()
            let connection = try await context.connect(to: context.url)
            try await connection.send(text: "ping")
            let echoed = try await connection.nextMessage()
            #expect(echoed == .text("ping"))
            await context.shutdown()
        }

        @Test func twoHundredCyclesDoNotLeak() async throws {
            try await withTimeout(120) {
                for _ in 0 ..< 20 { try await Self.cycle() }  // warm up caches and lws's one-off init
                malloc_trim(0)
                let before = residentBytes()
                for _ in 0 ..< 200 { try await Self.cycle() }
                malloc_trim(0)
                let growth = residentBytes() - before
                if !underSanitizer {
                    #expect(growth < 1 << 20, "RSS grew by \(growth) bytes over 200 cycles")
                }
            }
        }

        @Test func smallBudgetServesHighFDNumbers() async throws {
            // Fill the low fd numbers so the next sockets land above 300.
            var dummies: [Int32] = []
            defer { for fd in dummies { close(fd) } }
            while true {
                let fd = open("/dev/null", O_RDONLY)
                guard fd >= 0 else { break }
                dummies.append(fd)
                if fd > 300 { break }
            }
            let probe = open("/dev/null", O_RDONLY)
            #expect(probe > 300)
            close(probe)

            let server = try LWSContextBuilder.testServer().echo().fdBudget(.fixed(20)).build()
            let client = try LWSContextBuilder.testClient().fdBudget(.fixed(20)).build()
            #expect(server.fdLimitPerThread == 20)
            #expect(server.estimatedFDTableBytes == 22 * 16)
            try await withTimeout(10) {
                let connection = try await client.connect(to: server.url)
                for i in 0 ..< 10 {
                    try await connection.send(text: "high fd \(i)")
                }
                var received: [WebSocketMessage] = []
                for try await message in connection.messages {
                    received.append(message)
                    if received.count == 10 { break }
                }
                #expect(received == (0 ..< 10).map { .text("high fd \($0)") })
            }
            await client.shutdown()
            await server.shutdown()
        }

        @Test func eightThreadsKeepPerThreadOrder() async throws {
            let server = try LWSContextBuilder.testServer().echo().build()
            let client = try LWSContextBuilder.testClient().maxBackpressure(64 << 10).build()
            let connection = try await withTimeout(5) { try await client.connect(to: server.url) }
            let threads = 8, perThread = 1000

            let done = DispatchGroup()
            for thread in 0 ..< threads {
                done.enter()
                Thread {
                    var i = 0
                    while i < perThread {
                        do {
                            try connection.trySend(.text("\(thread):\(i)"))
                            i += 1
                        } catch LWSError.bufferFull {
                            usleep(200)
                        } catch {
                            Issue.record("send failed: \(error)")
                            break
                        }
                    }
                    done.leave()
                }.start()
            }
            try await withTimeout(60) {
                var next = [Int](repeating: 0, count: threads)
                var total = 0
                for try await message in connection.messages {
                    guard case .text(let text) = message else { Issue.record("unexpected \(message)"); break }
                    let parts = text.split(separator: ":").compactMap { Int($0) }
                    #expect(parts[1] == next[parts[0]], "thread \(parts[0]) out of order")
                    next[parts[0]] = parts[1] + 1
                    total += 1
                    if total == threads * perThread { break }
                }
                #expect(next == [Int](repeating: perThread, count: threads))
            }
            done.wait()
            await client.shutdown()
            await server.shutdown()
        }

        @Test func shutdownWhileSendsAreInFlight() async throws {
            let server = try LWSContextBuilder.testServer().echo().build()
            let client = try LWSContextBuilder.testClient().build()
            let connection = try await withTimeout(5) { try await client.connect(to: server.url) }
            let sender = Task {
                var sent = 0
                do {
                    while true {
                        try await connection.send(binary: [UInt8](repeating: 7, count: 4096))
                        sent += 1
                    }
                } catch {
                    return (sent, error)
                }
            }
            let reader = Task { for try await _ in connection.messages {} }
            try await Task.sleep(for: .milliseconds(200))
            try await withTimeout(15) {
                await server.shutdown()
                let (sent, error) = await sender.value
                #expect(sent > 0)
                #expect(error as? LWSError == .connectionClosed)
                let result = await connection.closed()
                #expect(result.code == .goingAway)
            }
            _ = try? await reader.value
            await client.shutdown()
            #expect(server.isShutDown && client.isShutDown)
        }

        @Test func shutdownIsIdempotent() async throws {
            let context = try LWSContextBuilder.testServer().echo().build()
            await context.shutdown()
            await context.shutdown()
            try context.syncShutdown()
            #expect(context.isShutDown)
            await #expect(throws: LWSError.contextShutDown) { try await context.connect(to: "ws://127.0.0.1:1/") }
        }

        @Test func releasingWithoutShutdownClosesConnections() async throws {
            let client = try LWSContextBuilder.testClient().build()
            var server: LWSContext? = try LWSContextBuilder.testServer().echo().build()
            let url = server!.url
            let connection = try await withTimeout(5) { try await client.connect(to: url) }
            try await connection.send(text: "before")
            server = nil  // no shutdown(): deinit starts a graceful one in the background
            let result = try await withTimeout(10) { await connection.closed() }
            #expect(result.code == .goingAway)
            await client.shutdown()
        }

        @Test func syncShutdownOnServiceThreadIsRefused() async throws {
            let outcome = Locked<String>("not run")
            let context = try LWSContextBuilder.testServer().onConnection { _ in }.build()
            let client = try LWSContextBuilder.testClient().build()
            let probe = try LWSContextBuilder.testServer()
                .onConnection { _ in
                    do { try context.syncShutdown(); outcome.withLock { $0 = "returned" } } catch {
                        outcome.withLock { $0 = "\(error)" }
                    }
                }.build()
            // The probe's handler runs on the probe's thread, so syncShutdown of another context is fine.
            _ = try await withTimeout(5) { try await client.connect(to: probe.url) }
            try await withTimeout(5) { await context.waitUntilShutdown() }
            for _ in 0 ..< 100 where outcome.withLock({ $0 }) == "not run" { try await Task.sleep(for: .milliseconds(20)) }
            #expect(outcome.withLock { $0 } == "returned")

            let own = Locked<(any Error)?>(nil)
            let box = Locked<LWSContext?>(nil)
            let selfish = try LWSContextBuilder.testServer()
                .onConnection { _ in
                    do { try box.withLock { $0 }?.syncShutdown() } catch { own.withLock { $0 = error } }
                }.build()
            box.withLock { $0 = selfish }
            defer { box.withLock { $0 = nil } }
            _ = try await withTimeout(5) { try await client.connect(to: selfish.url) }
            try await Task.sleep(for: .milliseconds(200))
            #expect(own.withLock { $0 as? LWSError } == .wouldDeadlock)
            await selfish.shutdown()
            await probe.shutdown()
            await client.shutdown()
        }

        @Test func lwsLogLinesReachSwiftLog() throws {
            let handler = CapturingLogHandler()
            LWSLogBridge.setLogger(Logger(label: "lws-test") { _ in handler })
            defer { LWSLogBridge.setLogger(Logger(label: "libwebsockets")) }
            let first = try LWSContextBuilder.testServer().echo().build()
            defer { try? first.syncShutdown() }
            // A second server on the same port: lws logs the bind failure at ERR.
            #expect(throws: LWSError.self) {
                try LWSContext.builder().listen(port: first.port!).echo().logger(quietLogger).build()
            }
            let errors = handler.captured.filter { $0.0 == .error }
            #expect(!errors.isEmpty, "no lws error line reached swift-log")
            #expect(errors.contains { $0.1.contains("\(first.port!)") || $0.1.lowercased().contains("bind") })
        }
    }
}

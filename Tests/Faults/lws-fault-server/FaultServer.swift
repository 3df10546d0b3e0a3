// The sending side of `make faults`' slow consumer: an echo server that, on the path
// /firehose, sends --firehose-bytes in binary messages of --message-size as fast as `send`
// lets it, each from a fresh buffer (so that anything queued would show in the RSS), and
// answers GET /stats with what that sender has done so far, as one line of JSON.
//
// --idle-timeout (seconds; pings at half of it) defaults to 300: a reader this slow never sees a
// ping in time, since it waits behind megabytes of data, so at the default 60 s it is dropped.
//
//   lws-fault-server [--port N] [--max-backpressure BYTES] [--firehose-bytes BYTES] [--message-size BYTES]
//                    [--idle-timeout SECONDS]

import Dispatch
import LibWebSockets
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the firehose's sender has done: sends that returned, the most bytes queued after one,
/// whether it is inside `send` now, and how it ended.
final class FirehoseState: Sendable {
    private struct Counts {
        var sends = 0
        var mostBuffered = 0
        var inSend = false
        var ended = ""
    }

    private let counts = Mutex(Counts())

    func entering() { counts.withLock { $0.inSend = true } }

    func returned(buffered: Int) {
        counts.withLock {
            $0.inSend = false
            $0.sends += 1
            $0.mostBuffered = max($0.mostBuffered, buffered)
        }
    }

    func ended(_ how: String) {
        counts.withLock {
            $0.inSend = false
            $0.ended = how
        }
    }

    var json: String {
        counts.withLock {
            "{\"sends\": \($0.sends), \"most_buffered\": \($0.mostBuffered), \"in_send\": \($0.inSend), \"ended\": \"\($0.ended)\"}\n"
        }
    }
}

@main
enum FaultServer {
    static func option(_ name: String, default value: Int) -> Int {
        let arguments = CommandLine.arguments
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let parsed = Int(arguments[index + 1]) else {
            return value
        }
        return parsed
    }

    static func main() throws {
        let port = option("--port", default: 0)
        let maxBackpressure = option("--max-backpressure", default: 1 << 20)
        let firehoseBytes = option("--firehose-bytes", default: 100 << 20)
        let messageSize = option("--message-size", default: 64 << 10)
        let idleTimeout = option("--idle-timeout", default: 300)
        let firehose = FirehoseState()

        let context = try LWSContext.builder()
            .listen(host: "127.0.0.1", port: port)
            .maxBackpressure(maxBackpressure)
            .idleTimeout(.seconds(idleTimeout), pingAfter: .seconds(idleTimeout / 2))
            .route("/stats") { _ in .text(firehose.json) }
            .onConnection { connection in
                guard connection.info.path == "/firehose" else {
                    for try await message in connection.messages { try await connection.send(message) }
                    return
                }
                do {
                    for sequence in 0 ..< firehoseBytes / messageSize {
                        let payload = [UInt8](repeating: UInt8(truncatingIfNeeded: sequence), count: messageSize)
                        firehose.entering()
                        try await connection.send(binary: payload)
                        firehose.returned(buffered: connection.bufferedOutboundBytes)
                    }
                    firehose.ended("sent all")
                } catch {
                    firehose.ended("\(error)")
                }
            }
            .build()
        print("listening on ws://127.0.0.1:\(context.port ?? port)")
        fflush(nil)

        signal(SIGTERM, SIG_IGN)
        let stop = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        stop.setEventHandler { try? context.syncShutdown() }
        stop.resume()
        let stopped = DispatchSemaphore(value: 0)
        Task {
            await context.waitUntilShutdown()
            stopped.signal()
        }
        stopped.wait()
        withExtendedLifetime(stop) {}
    }
}

// What the Swift runtime alone costs to hand one 64-byte text message to an async handler on
// the delivering thread: `for await message in messages { await send(message) }`. No lws and no
// sockets; compare the figures with the per-message user CPU in BENCHMARKS.md.
import Foundation

func threadCPUNanos() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
}

let payload = [UInt8](repeating: UInt8(ascii: "a"), count: 64)
func makeMessage() -> String { payload.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) } }

let count = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 2_000_000

/// Delivers `count` messages to a handler started by `start`, one at a time, each time running
/// the handler until it waits again. Returns nanoseconds of this thread's CPU per message.
func measure(_ start: (LoopExecutor, Channel) -> Void) -> Double {
    let executor = LoopExecutor()
    let channel = Channel()
    start(executor, channel)
    executor.drain()  // the handler starts and parks
    let t0 = threadCPUNanos()
    for _ in 0 ..< count {
        channel.deliver(makeMessage())
        executor.drain()
    }
    let perMessage = (threadCPUNanos() - t0) / Double(count)
    precondition(channel.bytesSent == 64 * count)
    channel.finish()
    executor.drain()
    return perMessage
}

let done = DispatchSemaphore(value: 0)
let loop = Thread {
    var sink = 0
    let t0 = threadCPUNanos()
    for _ in 0 ..< count { sink &+= makeMessage().utf8.count }
    let string = (threadCPUNanos() - t0) / Double(count)

    let handOff = measure { executor, channel in
        Task(executorPreference: executor) {
            for await message in channel.messages { await channel.send(message) }
        }
    }
    print(String(format: "String of 64 B (malloc, copy, free):                         %.3f µs", string / 1000))
    print(String(format: "hand-off of that String to the handler task and back:        %.3f µs", handOff / 1000))
    print("(\(count) messages each; CPU time of the loop thread; \(sink > 0 ? "ok" : ""))")
    done.signal()
}
loop.start()
done.wait()

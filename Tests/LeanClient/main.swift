// The smallest client of LibWebSockets: it imports the library and nothing else of this package's
// dependencies. `make check-lean` links it and fails when a Foundation library comes in with it
// (scripts/check-lean.sh); BENCHMARKS.md ("Start-up memory") measures its start RSS as the
// library's own share. Serves an echo on ws://127.0.0.1:PORT (port 0 unless given) until it is
// killed; with `--exit` it starts, says where it listens and shuts down again.
import LibWebSockets
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments.dropFirst()
let port = arguments.compactMap { Int($0) }.first ?? 0
let context = try LWSContext.builder()
    .listen(host: "127.0.0.1", port: port)
    .onConnection { connection in
        for try await message in connection.messages {
            try await connection.send(message)
        }
    }
    .build()
print("listening on ws://127.0.0.1:\(context.port ?? port)")
fflush(nil)
if arguments.contains("--exit") {
    try context.syncShutdown()
} else {
    // A synchronous main, as lws-echo-server has: no dispatch_main(), see BENCHMARKS.md.
    while true { pause() }
}

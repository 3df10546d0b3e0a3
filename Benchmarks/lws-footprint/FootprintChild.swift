import Dispatch
import LibWebSockets
#if canImport(Glibc)
import Glibc
#endif

/// One measured child process: at most one client context, `connections` echoed messages, one
/// report line on stdout, then it waits for the parent to close its stdin.
struct FootprintChild: Sendable {
    let kind: RunKind
    /// The parent's echo server.
    let port: Int
    let connections: Int
    let messageBytes: Int
    /// The simulated `sysconf(_SC_OPEN_MAX)`, checked before anything else; `nil` when not simulating.
    let expectedOpenMax: Int?
    /// The child kills itself (SIGALRM) after this long, whatever happens to the parent.
    let lifetimeSeconds: Int

    func run() async throws {
        alarm(UInt32(lifetimeSeconds))
        let openMax = sysconf(Int32(_SC_OPEN_MAX))
        if let expectedOpenMax, openMax != expectedOpenMax {
            throw FootprintError.openMaxMismatch(expected: expectedOpenMax, actual: openMax)
        }

        let context: LWSContext? = switch kind {
        case .bare: nil
        case .wrapperDefault: try LWSContext.builder().build()
        case .lwsDefault: try LWSContext.builder().fdBudget(.lwsDefault).build()
        case .plainC: throw FootprintError.childFailed("the plain C child is a separate program (PlainCChild)")
        }
        var open: [WebSocketConnection] = []
        if let context {
            let payload = String(repeating: "x", count: messageBytes)
            for index in 0 ..< connections {
                let connection = try await context.connect(to: "ws://127.0.0.1:\(port)/footprint")
                try await connection.send(text: payload)
                var messages = connection.messages.makeAsyncIterator()
                guard try await messages.next() == .text(payload) else { throw FootprintError.echoMismatch(connection: index) }
                open.append(connection)
            }
        }

        let report = ChildReport(
            status: try ProcStatus.current(), fdTableBytes: context?.estimatedFDTableBytes ?? 0,
            fdLimitPerThread: context?.fdLimitPerThread, openMax: openMax, connections: open.count)
        print(report.line)
        fflush(nil)

        await Self.waitForEndOfInput()
        for connection in open { _ = try? await connection.close() }
        await context?.shutdown()
    }

    /// Blocks (on a dispatch thread, not the task's) until stdin reaches end of file.
    private static func waitForEndOfInput() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                var byte: UInt8 = 0
                while true {
                    let count = read(STDIN_FILENO, &byte, 1)
                    if count < 0, errno == EINTR { continue }
                    if count <= 0 { break }
                }
                continuation.resume()
            }
        }
    }
}

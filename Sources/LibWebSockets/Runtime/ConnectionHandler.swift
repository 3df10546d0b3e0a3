/// What a server does with each accepted connection: the user's async handler, or the
/// closure-style ``WebSocketCallbacks`` turned into one.
struct ConnectionHandler: Sendable {
    let body: @Sendable (WebSocketConnection) async throws -> Void
    let wantsPongEvents: Bool
    /// Runs after the 101 and before the body sees any message (``LWSContextBuilder/authorize(_:)``).
    var openCheck: (@Sendable (WebSocketConnection) async throws -> Bool)?

    /// Runs the handler; closes with 1000 when it returns and 1011 when it throws. With an
    /// open check, closes with 1008 when the check says no (1011 when it throws) and never runs
    /// the body.
    func run(_ connection: WebSocketConnection) async {
        connection.core.claimForHandlerTask()
        if wantsPongEvents { connection.core.state.withLock { $0.wantsPongEvents = true } }
        if let openCheck {
            let allowed: Bool?
            do { allowed = try await openCheck(connection) } catch { allowed = nil }
            guard allowed == true else {
                let code: WebSocketCloseCode = allowed == false ? .policyViolation : .internalServerError
                _ = try? await connection.close(code: code, reason: allowed == false ? "not authorized" : "")
                return
            }
        }
        do {
            try await body(connection)
            _ = try? await connection.close(code: .normalClosure)
        } catch {
            _ = try? await connection.close(code: .internalServerError)
        }
    }

    init(_ body: @escaping @Sendable (WebSocketConnection) async throws -> Void) {
        self.body = body
        self.wantsPongEvents = false
    }

    init(callbacks: WebSocketCallbacks) {
        self.wantsPongEvents = callbacks.onPong != nil
        self.body = { connection in
            await callbacks.onOpen?(connection)
            do {
                let isHandlerTask = connection.core.isServiceThreadHandlerTask
                while let event = try await connection.core.nextEvent(isHandlerTask: isHandlerTask) {
                    switch event {
                    case .message(.text(let text)): await callbacks.onText?(connection, text)
                    case .message(.binary(let bytes)): await callbacks.onBinary?(connection, bytes)
                    case .pong(let payload): await callbacks.onPong?(connection, payload)
                    }
                }
            } catch {
                // The connection ended with an error (1009, 1007); onClose reports it.
            }
            let result = await connection.closed()
            await callbacks.onClose?(connection, result.code, result.reason)
        }
    }
}

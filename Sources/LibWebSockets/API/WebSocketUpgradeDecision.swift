/// What the upgrade hook answers: accept, or reject with an HTTP status.
public struct WebSocketUpgradeDecision: Sendable {
    enum Kind: Sendable {
        case accept(headers: [(name: String, value: String)], userState: (any Sendable)?)
        case reject(status: Int, headers: [(name: String, value: String)], body: String)
    }

    let kind: Kind

    /// Accepts the upgrade.
    /// - Parameters:
    ///   - headers: extra headers for the 101 response, at most 2048 bytes in all (more answers 500).
    ///   - userState: a value handed on to the connection's ``WebSocketConnection/userState``
    ///     (for example the authenticated user), set before the handler runs.
    public static func accept(headers: [(name: String, value: String)] = [], userState: (any Sendable)? = nil) -> Self {
        Self(kind: .accept(headers: headers, userState: userState))
    }

    /// Accepts the upgrade with no extra headers and nothing handed on.
    public static let accept = accept()

    /// Rejects the upgrade with an HTTP/1.1 response; the connection then closes.
    /// - Parameters:
    ///   - status: an HTTP status from 400 to 599.
    ///   - headers: extra response headers, at most 2048 bytes in all (`Content-Length` and
    ///     `Connection: close` are always sent).
    ///   - body: a short plain-text body, at most 1024 bytes.
    public static func reject(status: Int, headers: [(name: String, value: String)] = [], body: String = "") -> Self {
        Self(kind: .reject(status: status, headers: headers, body: body))
    }
}

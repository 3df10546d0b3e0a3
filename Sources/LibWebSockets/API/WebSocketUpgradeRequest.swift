/// A WebSocket upgrade request as the server sees it, before it answers with 101.
///
/// Handed to the upgrade hook (``LWSContextBuilder/onUpgrade(_:)``), which accepts or rejects it.
public struct WebSocketUpgradeRequest: Sendable, Hashable {
    /// The request path with its query, e.g. "/chat?room=1".
    public let path: String
    /// The request's headers, names lower-cased.
    public let headers: WebSocketHeaders
    /// The client's address: the TCP peer's, or, when that peer is one of
    /// ``LWSConfiguration/trustedProxies``, the address it names in `X-Forwarded-For`.
    public let remoteAddress: String
    /// The TCP peer's own address (the proxy's, behind a trusted proxy).
    public let peerAddress: String
    /// The subprotocols the client offered (`Sec-WebSocket-Protocol`), in its order.
    public let requestedSubprotocols: [String]
    /// Whether the request came over TLS: on a context with ``LWSConfiguration/plainListen``,
    /// `false` for the plain listener's requests. A hook can refuse credentials sent in clear.
    public let isSecure: Bool

    /// The `Origin` header, if any. Browsers always send it; other clients usually do not.
    public var origin: String? { headers["origin"] }

    /// - Parameters:
    ///   - path: the path with its query.
    ///   - headers: the request headers.
    ///   - remoteAddress: the client's address.
    ///   - peerAddress: the TCP peer's address.
    ///   - requestedSubprotocols: the offered subprotocols.
    ///   - isSecure: whether the request came over TLS.
    public init(
        path: String, headers: WebSocketHeaders, remoteAddress: String, peerAddress: String,
        requestedSubprotocols: [String], isSecure: Bool = false
    ) {
        self.isSecure = isSecure
        self.path = path
        self.headers = headers
        self.remoteAddress = remoteAddress
        self.peerAddress = peerAddress
        self.requestedSubprotocols = requestedSubprotocols
    }
}

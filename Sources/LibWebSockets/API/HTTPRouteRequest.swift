/// A plain HTTP request to one of the server's routes (``LWSContextBuilder/route(_:_:)``).
public struct HTTPRouteRequest: Sendable, Hashable {
    /// The request method.
    public let method: HTTPRouteMethod
    /// The path without its query, e.g. "/healthz".
    public let path: String
    /// The query without the "?", e.g. "verbose=1"; empty when there is none.
    public let query: String
    /// The request's headers, names lower-cased.
    public let headers: WebSocketHeaders
    /// The client's address, from `X-Forwarded-For` behind one of
    /// ``LWSConfiguration/trustedProxies``, as for upgrades.
    public let remoteAddress: String
    /// Whether the request came over TLS.
    public let isSecure: Bool

    /// - Parameters:
    ///   - method: the method.
    ///   - path: the path without its query.
    ///   - query: the query without the "?".
    ///   - headers: the request headers.
    ///   - remoteAddress: the client's address.
    ///   - isSecure: whether the request came over TLS.
    public init(
        method: HTTPRouteMethod, path: String, query: String = "", headers: WebSocketHeaders = WebSocketHeaders(),
        remoteAddress: String = "", isSecure: Bool = false
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
    }
}

/// The methods a route answers. Routes answer `GET` and `HEAD` (the same handler; the body is
/// left out for `HEAD`); other methods get 405 with `Allow: GET, HEAD`, because lws 4.1.6 hands
/// request bodies over in callbacks this package does not read yet.
public enum HTTPRouteMethod: String, Sendable, Hashable {
    /// `GET`.
    case get = "GET"
    /// `HEAD`: answered like `GET`, without the body.
    case head = "HEAD"
}

/// A plain HTTP request a route is answering, from `LWS_CALLBACK_HTTP` until its response is
/// written (or its connection closes first). Service thread only.
struct HTTPExchange {
    /// Tells this exchange from a later one on the same connection, or on a connection that
    /// reuses the same wsi memory: a late answer for an old exchange is dropped.
    let id: UInt64
    /// `HEAD`: the response goes out without its body.
    let isHead: Bool
    /// The route's path, for logs.
    let path: String
    /// The answer, once the route has given it; written at the next `HTTP_WRITEABLE`.
    var response: HTTPRouteResponse?
}

/// A route's handler.
typealias HTTPRouteHandler = @Sendable (HTTPRouteRequest) async throws -> HTTPRouteResponse

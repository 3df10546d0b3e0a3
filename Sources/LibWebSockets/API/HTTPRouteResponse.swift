/// What a route answers: a status, headers and a body, sent as one HTTP/1.1 response with
/// `Content-Length`.
public struct HTTPRouteResponse: Sendable, Hashable {
    /// The status code, 100 to 599.
    public var status: Int
    /// Extra headers, in order. `Content-Length` is always written by the server; do not set it.
    public var headers: [HTTPHeader]
    /// The body. It is written in one go, so keep it small: serve large content as files
    /// (``LWSContextBuilder/serveFiles(from:at:)``).
    public var body: [UInt8]

    /// One response header.
    public struct HTTPHeader: Sendable, Hashable {
        /// The header name, e.g. "cache-control".
        public var name: String
        /// The header value.
        public var value: String

        /// - Parameters:
        ///   - name: the header name.
        ///   - value: the header value.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// - Parameters:
    ///   - status: the status code. Default 200.
    ///   - headers: extra headers as name-value pairs.
    ///   - body: the body's bytes.
    public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers.map { HTTPHeader(name: $0.0, value: $0.1) }
        self.body = body
    }

    /// A text response: `content-type: text/plain; charset=utf-8` unless `headers` names one.
    /// - Parameters:
    ///   - status: the status code. Default 200.
    ///   - headers: extra headers as name-value pairs.
    ///   - text: the body.
    public static func text(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> HTTPRouteResponse {
        var all = headers
        if !all.contains(where: { $0.0.lowercased() == "content-type" }) {
            all.insert(("content-type", "text/plain; charset=utf-8"), at: 0)
        }
        return HTTPRouteResponse(status: status, headers: all, body: Array(text.utf8))
    }
}

/// The status line of an HTTP/1.1 response this package writes itself.
///
/// lws 4.1.6 writes the request's HTTP version into a status line, but in
/// `HTTP_CONFIRM_UPGRADE`, where refusals are written, it has not recorded that version yet
/// and writes `HTTP/1.0`, which strict clients (Python's `websockets`) reject. A WebSocket
/// upgrade is always HTTP/1.1, so refusals say so.
enum HTTPStatusLine {
    /// `HTTP/1.1 <code> <reason>`, without the line end.
    static func make(_ code: Int) -> String { "HTTP/1.1 \(code) \(reasonPhrase(code))" }

    /// The standard reason phrase (RFC 9110), or an empty one for codes not listed.
    static func reasonPhrase(_ code: Int) -> String {
        switch code {
        case 200: return "OK"
        case 301: return "Moved Permanently"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 426: return "Upgrade Required"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        default: return ""
        }
    }
}

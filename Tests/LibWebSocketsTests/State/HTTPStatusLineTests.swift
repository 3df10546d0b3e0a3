@testable import LibWebSockets
import Testing

extension AllTests {
    @Suite struct HTTPStatusLineTests {
        @Test func statusLinesAreHTTP11WithTheStandardReason() {
            #expect(HTTPStatusLine.make(503) == "HTTP/1.1 503 Service Unavailable")
            #expect(HTTPStatusLine.make(403) == "HTTP/1.1 403 Forbidden")
            #expect(HTTPStatusLine.make(299) == "HTTP/1.1 299 ")  // unknown codes keep an empty reason, as RFC 9112 allows
        }
    }
}

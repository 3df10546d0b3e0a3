import Foundation

/// A parsed HTTP/1.1 response, as a strict client reads it.
struct HTTPReply {
    let status: Int
    /// Header names lower-cased.
    let headers: [String: String]
    let body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

extension RawSocket {
    /// Sends one request (the target as given, never normalised) and reads its response:
    /// the status line must be HTTP/1.1, and the body is exactly `Content-Length` bytes.
    func request(_ target: String, method: String = "GET", headers: [String: String] = [:], close: Bool = false) -> HTTPReply? {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if close { head += "Connection: close\r\n" }
        write(head + "\r\n")
        let response = readHTTPHead()
        var lines = response.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else { return nil }
        var fields: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = method == "HEAD" || status == 304 ? 0 : Int(fields["content-length"] ?? "0") ?? 0
        let body = read(length)
        guard body.count == length else { return nil }
        return HTTPReply(status: status, headers: fields, body: body)
    }
}

/// One request on a fresh connection that closes after it.
func httpRequest(port: Int, _ target: String, method: String = "GET", headers: [String: String] = [:]) throws -> HTTPReply? {
    try RawSocket(port: port).request(target, method: method, headers: headers, close: true)
}

/// Runs blocking socket code on a thread of its own, so that it never holds one of the few
/// threads of Swift's concurrent pool (where route handlers run) while it waits.
func onAThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

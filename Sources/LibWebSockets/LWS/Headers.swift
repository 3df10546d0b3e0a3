import CLibwebsockets

/// Reading request headers from lws and writing headers through lws's cursor API.
enum Headers {
    /// One request header as a string, or `nil` when absent.
    static func value(_ token: lws_token_indexes, of wsi: OpaquePointer) -> String? {
        let length = Int(lws_hdr_total_length(wsi, token))
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard lws_hdr_copy(wsi, &buffer, Int32(buffer.count), token) >= 0 else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Every request header lws parsed, names lower-cased, in lws's token order, then those of
    /// `customNames` present. lws 4.1.6 parses about 100 well-known names into tokens and keeps
    /// others only for lookup by name (`lws_hdr_custom_copy`): it cannot list them.
    static func all(of wsi: OpaquePointer, customNames: [String] = []) -> WebSocketHeaders {
        var pairs: [(name: String, value: String)] = []
        for index in 0 ..< Int(WSI_TOKEN_COUNT.rawValue) {
            let token = lws_token_indexes(rawValue: UInt32(index))
            guard lws_hdr_total_length(wsi, token) > 0, let name = lws_token_to_string(token) else { continue }
            let cName = String(cString: name)
            guard cName.hasSuffix(":"), !cName.hasPrefix(":"), let value = value(token, of: wsi) else { continue }
            pairs.append((String(cName.dropLast()), value))
        }
        for name in customNames {
            let key = name.lowercased() + ":"
            let length = Int(lws_hdr_custom_length(wsi, key, Int32(key.utf8.count)))
            guard length >= 0 else { continue }
            var buffer = [CChar](repeating: 0, count: length + 1)
            guard lws_hdr_custom_copy(wsi, &buffer, Int32(buffer.count), key, Int32(key.utf8.count)) >= 0 else { continue }
            pairs.append((name.lowercased(), buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }))
        }
        return WebSocketHeaders(pairs)
    }

    /// The request path with its query, e.g. "/chat?room=1".
    static func pathWithQuery(of wsi: OpaquePointer) -> String {
        let path = value(WSI_TOKEN_GET_URI, of: wsi) ?? "/"
        let query = query(of: wsi)
        return query.isEmpty ? path : path + "?" + query
    }

    /// The query, its arguments joined with "&". lws keeps each argument as a fragment of
    /// `WSI_TOKEN_HTTP_URI_ARGS`, and `lws_hdr_copy` would join them with ",".
    static func query(of wsi: OpaquePointer) -> String {
        var arguments: [String] = []
        var index: Int32 = 0
        while true {
            let length = Int(lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, index))
            guard length > 0 else { break }
            var buffer = [CChar](repeating: 0, count: length + 1)
            guard lws_hdr_copy_fragment(wsi, &buffer, Int32(buffer.count), WSI_TOKEN_HTTP_URI_ARGS, index) >= 0 else { break }
            arguments.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
            index += 1
        }
        return arguments.joined(separator: "&")
    }

    /// The TCP peer's numeric address; an IPv4-mapped IPv6 address is given as plain IPv4.
    static func peerAddress(of wsi: OpaquePointer) -> String {
        var peer = [CChar](repeating: 0, count: 64)
        var remote = lws_get_peer_simple(wsi, &peer, peer.count).map { String(cString: $0) } ?? ""
        if remote.hasPrefix("::ffff:"), remote.contains(".") { remote.removeFirst(7) }
        return remote
    }

    /// Writes `name: value` at `*cursor`, moving it on; false when it does not fit before `end`.
    static func add(
        _ name: String, _ value: String, wsi: OpaquePointer,
        cursor: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, end: UnsafeMutablePointer<UInt8>
    ) -> Bool {
        "\(name):".withCString { cName in
            value.withCString { cValue in
                lws_add_http_header_by_name(
                    wsi, UnsafeRawPointer(cName).assumingMemoryBound(to: UInt8.self),
                    UnsafeRawPointer(cValue).assumingMemoryBound(to: UInt8.self), Int32(value.utf8.count), cursor, end) == 0
            }
        }
    }

    /// `CLIENT_APPEND_HANDSHAKE_HEADER`: `cursor` is lws's `unsigned char **p`, `remaining` the
    /// room after it. Returns false when a header does not fit.
    static func append(_ headers: [String: String], wsi: OpaquePointer, cursor: UnsafeMutableRawPointer, remaining: Int) -> Bool {
        let p = cursor.assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
        guard let start = p.pointee else { return true }
        let end = start + remaining
        for (name, value) in headers where !add(name, value, wsi: wsi, cursor: p, end: end) { return false }
        return true
    }

    /// Writes a whole HTTP/1.1 response, status line to body, and sends it
    /// (`LWS_WRITE_HTTP_FINAL`). The status line is ours (``HTTPStatusLine``): lws would write
    /// `HTTP/1.0` before it has read the request's version. `Content-Length` is always sent.
    /// - Returns: false when lws failed to write it.
    static func respond(
        status: Int, headers: [(String, String)], body: String, wsi: OpaquePointer
    ) -> Bool {
        respond(status: status, headers: headers, body: Array(body.utf8), sendBody: true, wsi: wsi)
    }

    /// ``respond(status:headers:body:wsi:)`` with a body of bytes; without `sendBody` (a
    /// `HEAD` request) only the headers go out, `Content-Length` still the body's.
    static func respond(
        status: Int, headers: [(String, String)], body: [UInt8], sendBody: Bool, wsi: OpaquePointer
    ) -> Bool {
        let headroom = ContextResources.pre
        // The status line, lws's own headers and Content-Length fit in 512; then ours and the body.
        let extra = headers.reduce(body.count) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 }
        var buffer = [UInt8](repeating: 0, count: headroom + 512 + extra)
        return buffer.withUnsafeMutableBufferPointer { storage -> Bool in
            let start = storage.baseAddress! + headroom
            let end = storage.baseAddress! + storage.count
            var p: UnsafeMutablePointer<UInt8>? = start
            let statusLine = HTTPStatusLine.make(status)
            let wroteStatus = statusLine.withCString { line in
                lws_add_http_header_by_name(
                    wsi, nil, UnsafeRawPointer(line).assumingMemoryBound(to: UInt8.self), Int32(statusLine.utf8.count), &p, end)
            }
            guard wroteStatus == 0 else { return false }
            for (name, value) in headers where !add(name, value, wsi: wsi, cursor: &p, end: end) { return false }
            guard lws_add_http_header_content_length(wsi, lws_filepos_t(body.count), &p, end) == 0,
                  lws_finalize_http_header(wsi, &p, end) == 0, var cursor = p, end - cursor >= body.count
            else { return false }
            if sendBody, !body.isEmpty {
                body.withUnsafeBufferPointer { bytes in cursor.update(from: bytes.baseAddress!, count: bytes.count) }
                cursor += body.count
            }
            return lws_write(wsi, start, cursor - start, LWS_WRITE_HTTP_FINAL) >= 0
        }
    }
}

import CLibwebsockets

/// Plain HTTP beside the WebSockets: admission, the static-file guard, routes and 404.
/// Service thread. lws serves mounted files itself; what no mount takes, a file that is not
/// there, and the routes' own mounts come to `LWS_CALLBACK_HTTP` here.
extension ContextEngine {
    /// `FILTER_HTTP_CONNECTION`, before lws looks at its mounts: a connection's first request
    /// makes it count toward `maxConnections` (503 past it), and a file whose real path leaves
    /// its folder is refused with 403. Nonzero hangs up.
    func filterHTTPRequest(wsi: OpaquePointer, uri: UnsafeMutableRawPointer?, length: Int) -> Int32 {
        stats.httpRequestReceived()
        if !local.value.httpConnections.contains(wsi) {
            guard admitsConnection() else {
                countRefusal(stats.upgradeRefused(.overCapacity), reason: "overCapacity")
                writeHTTPResponse(
                    .text("server at capacity\n", status: 503, headers: [("retry-after", Self.refusalRetryAfter), ("connection", "close")]),
                    isHead: false, wsi: wsi)
                return -1
            }
            local.value.httpConnections.insert(wsi)
        }
        guard !configuration.staticFiles.isEmpty, let uri else { return 0 }
        let path = String(decoding: UnsafeRawBufferPointer(start: uri, count: length), as: UTF8.self)
        guard let (index, remainder) = routeTable.fileMount(for: path),
              let directories = local.value.resources?.httpMounts.resolvedDirectories, index < directories.count
        else { return 0 }
        guard StaticFileGuard.staysInside(directories[index], remainder: remainder, indexFile: configuration.staticFiles[index].indexFile) else {
            logger.warning("refused a file outside its folder", metadata: ["path": "\(path)"])
            writeHTTPResponse(.text("forbidden\n", status: 403, headers: [("connection", "close")]), isHead: false, wsi: wsi)
            return -1
        }
        return 0
    }

    /// `LWS_CALLBACK_HTTP`: a route starts, or the request gets 404 (405 for a method no
    /// route answers).
    func serveHTTP(wsi: OpaquePointer) -> Int32 {
        let (method, path) = Self.methodAndPath(of: wsi)
        guard let handler = routes[path] else {
            let keepAlive = method != nil
            writeHTTPResponse(.text("not found\n", status: 404, headers: keepAlive ? [] : [("connection", "close")]), isHead: method == .head, wsi: wsi)
            return keepAlive && lws_http_transaction_completed(wsi) == 0 ? 0 : -1
        }
        guard let method else {
            // A body may follow, which this package does not read: answer and hang up.
            writeHTTPResponse(.text("method not allowed\n", status: 405, headers: [("allow", "GET, HEAD"), ("connection", "close")]),
                              isHead: false, wsi: wsi)
            return -1
        }
        let id = local.value.nextExchangeID
        local.value.nextExchangeID += 1
        local.value.httpExchanges[wsi] = HTTPExchange(id: id, isHead: method == .head, path: path)
        let headers = Headers.all(of: wsi, customNames: configuration.customRequestHeaders)
        let peer = Headers.peerAddress(of: wsi)
        let request = HTTPRouteRequest(
            method: method, path: path, query: Headers.query(of: wsi), headers: headers,
            remoteAddress: upgradePolicy.clientAddress(peer: peer, forwardedFor: headers["x-forwarded-for"]),
            isSecure: lws_is_ssl(wsi) != 0)
        let bits = UInt(bitPattern: wsi)
        let logger = logger
        // Off the service thread: a route may take its time, as long as it answers before
        // `handshakeTimeout`, when lws drops the connection.
        Task(executorPreference: globalConcurrentExecutor) { [self] in
            let response: HTTPRouteResponse
            do {
                response = try await handler(request)
            } catch {
                logger.error("route threw; answering 500", metadata: ["path": "\(path)", "error": "\(error)"])
                response = .text("internal server error\n", status: 500)
            }
            submit(.httpRespond(wsi: bits, id: id, response))
        }
        return 0
    }

    /// A route's answer arrived: ask for `HTTP_WRITEABLE` if its request is still waiting.
    func routeAnswered(wsi bits: UInt, id: UInt64, response: HTTPRouteResponse) {
        guard let wsi = OpaquePointer(bitPattern: bits), local.value.httpExchanges[wsi]?.id == id else { return }
        local.value.httpExchanges[wsi]?.response = response
        lws_callback_on_writable(wsi)
    }

    /// `HTTP_WRITEABLE`: writes a route's answer, then lets lws keep the connection alive (or
    /// close it, when the request asked).
    func httpWriteable(wsi: OpaquePointer, user: UnsafeMutableRawPointer?, input: UnsafeMutableRawPointer?, length: Int) -> Int32 {
        guard let exchange = local.value.httpExchanges[wsi], let response = exchange.response else {
            return lws_callback_http_dummy(wsi, LWS_CALLBACK_HTTP_WRITEABLE, user, input, length)
        }
        local.value.httpExchanges[wsi] = nil
        guard writeHTTPResponse(checked(response, path: exchange.path), isHead: exchange.isHead, wsi: wsi) else { return -1 }
        return lws_http_transaction_completed(wsi) == 0 ? 0 : -1
    }

    /// The connection is gone: it no longer counts, and a route still working on it will find
    /// no one to answer.
    func httpConnectionEnded(wsi: OpaquePointer) {
        guard !local.value.httpConnections.isEmpty || !local.value.httpExchanges.isEmpty else { return }
        local.value.httpConnections.remove(wsi)
        if let exchange = local.value.httpExchanges.removeValue(forKey: wsi), exchange.response == nil {
            logger.warning("a route did not answer before its connection closed (handshakeTimeout?)",
                           metadata: ["path": "\(exchange.path)"])
        }
    }

    /// A response a route gave, or 500 when it cannot be written as given.
    private func checked(_ response: HTTPRouteResponse, path: String) -> HTTPRouteResponse {
        let badHeader = response.headers.first { header in
            header.name.isEmpty || (header.name + header.value).utf8.contains { $0 == 10 || $0 == 13 || $0 == 0 }
        }
        guard (100 ... 599).contains(response.status), badHeader == nil else {
            logger.error("route answered a status or header that cannot be sent; answering 500",
                         metadata: ["path": "\(path)", "status": "\(response.status)"])
            return .text("internal server error\n", status: 500)
        }
        return response
    }

    /// Writes a whole response; `Content-Length` is ours, so the route's own is dropped.
    @discardableResult
    private func writeHTTPResponse(_ response: HTTPRouteResponse, isHead: Bool, wsi: OpaquePointer) -> Bool {
        let headers = response.headers.lazy.filter { $0.name.lowercased() != "content-length" }.map { ($0.name, $0.value) }
        let written = Headers.respond(status: response.status, headers: Array(headers), body: response.body, sendBody: !isHead, wsi: wsi)
        if !written { logger.error("could not write an HTTP response", metadata: ["status": "\(response.status)"]) }
        return written
    }

    /// `GET` or `HEAD` (`nil` for any other method) and the request's path without its query.
    private static func methodAndPath(of wsi: OpaquePointer) -> (HTTPRouteMethod?, String) {
        if let path = Headers.value(WSI_TOKEN_GET_URI, of: wsi) { return (.get, path) }
        if let path = Headers.value(WSI_TOKEN_HEAD_URI, of: wsi) { return (.head, path) }
        for token in [WSI_TOKEN_POST_URI, WSI_TOKEN_PUT_URI, WSI_TOKEN_PATCH_URI, WSI_TOKEN_DELETE_URI, WSI_TOKEN_OPTIONS_URI] {
            if let path = Headers.value(token, of: wsi) { return (nil, path) }
        }
        return (nil, "")
    }
}

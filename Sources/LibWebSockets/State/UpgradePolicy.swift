/// Which upgrade requests are refused before the hook runs, and why: the checks the
/// configuration asks for, as a pure decision.
struct UpgradePolicy: Sendable {
    /// Why an upgrade was refused; each has its own counter in the stats.
    enum Refusal: Equatable, Sendable {
        /// `maxConnections` reached, or the context is shutting down: 503.
        case overCapacity
        /// The Origin is not in ``allowedOrigins``: 403.
        case originNotAllowed
        /// The address already has ``maxConnectionsPerAddress`` connections: 429.
        case tooManyFromAddress
        /// The upgrade hook said no, with its own status.
        case rejectedByHook(status: Int)
        /// The upgrade hook threw: 500.
        case hookFailed
        /// The request is not a valid opening handshake (its `Sec-WebSocket-Key` is not 16
        /// bytes in base64, RFC 6455 4.1), which lws 4.1.6 would answer with 101: 400.
        case badRequest

        var status: Int {
            switch self {
            case .overCapacity: return 503
            case .originNotAllowed: return 403
            case .tooManyFromAddress: return 429
            case .rejectedByHook(let status): return status
            case .hookFailed: return 500
            case .badRequest: return 400
            }
        }

        var body: String {
            switch self {
            case .overCapacity: return "too many connections, retry later\n"
            case .originNotAllowed: return "origin not allowed\n"
            case .tooManyFromAddress: return "too many connections from this address\n"
            case .rejectedByHook: return ""
            case .hookFailed: return "internal server error\n"
            case .badRequest: return "invalid Sec-WebSocket-Key\n"
            }
        }
    }

    /// Origins allowed to open a connection, compared exactly (scheme, host and port, as
    /// browsers send them); `nil` allows any. A request without an Origin is not from a browser
    /// page and is allowed.
    let allowedOrigins: Set<String>?
    /// Connections one remote address may hold at once; `nil` for no cap.
    let maxConnectionsPerAddress: Int?
    /// Peers whose `X-Forwarded-For` is believed.
    let trustedProxies: Set<String>

    /// The checks that need no user code, in order: origin, then the per-address cap.
    /// - Parameters:
    ///   - origin: the request's Origin header.
    ///   - openFromAddress: connections `remoteAddress` holds now.
    func check(origin: String?, openFromAddress: Int) -> Refusal? {
        if let allowedOrigins, let origin, !allowedOrigins.contains(origin) { return .originNotAllowed }
        if let cap = maxConnectionsPerAddress, openFromAddress >= cap { return .tooManyFromAddress }
        return nil
    }

    /// The client's address: the peer's own, unless the peer is a trusted proxy, in which case
    /// the right-most `X-Forwarded-For` entry that is not itself a trusted proxy (the nearest
    /// address no trusted proxy vouches for; entries further left can be forged by the client).
    func clientAddress(peer: String, forwardedFor: String?) -> String {
        guard trustedProxies.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
        for hop in hops.reversed() where !hop.isEmpty && !trustedProxies.contains(hop) { return hop }
        return hops.first(where: { !$0.isEmpty }) ?? peer
    }

    /// Whether `key` is a valid `Sec-WebSocket-Key`: base64 of 16 bytes (RFC 6455 4.1), so 22
    /// base64 characters and `==`, read as strictly as Python's `b64decode(validate=True)`.
    static func isValidKey(_ key: String?) -> Bool {
        guard let key else { return false }
        let bytes = Array(key.utf8)
        guard bytes.count == 24, bytes[22] == UInt8(ascii: "="), bytes[23] == UInt8(ascii: "=") else { return false }
        return bytes[..<22].allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A") ... UInt8(ascii: "Z"), UInt8(ascii: "a") ... UInt8(ascii: "z"),
                 UInt8(ascii: "0") ... UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"): return true
            default: return false
            }
        }
    }

    /// The `Sec-WebSocket-Protocol` header split into names.
    static func subprotocols(_ header: String?) -> [String] {
        guard let header else { return [] }
        return header.split(separator: ",").map { String($0.filter { $0 != " " && $0 != "\t" }) }.filter { !$0.isEmpty }
    }
}

/// A parsed `ws://host[:port][/path][?query]` URL. No Foundation needed.
struct WebSocketURL: Hashable {
    let isSecure: Bool
    let host: String
    let port: Int
    /// Path and query, starting with "/".
    let path: String

    /// The Host header: the name, plus the port when it is not the scheme's default.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (isSecure ? 443 : 80) ? name : "\(name):\(port)"
    }

    init(_ string: String) throws {
        guard let colon = string.firstIndex(of: ":"), string[colon...].hasPrefix("://") else {
            throw LWSError.invalidURL(string)
        }
        let scheme = string[..<colon].lowercased()
        switch scheme {
        case "ws": isSecure = false
        case "wss": isSecure = true
        default: throw LWSError.unsupportedScheme(scheme)
        }
        let rest = string[string.index(colon, offsetBy: 3)...]
        let delimiters: Set<Character> = ["/", "?", "#"]
        let authorityEnd = rest.firstIndex(where: { delimiters.contains($0) }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var pathPart = String(rest[authorityEnd...].prefix { $0 != "#" })
        if pathPart.isEmpty || pathPart.first == "?" { pathPart = "/" + pathPart }
        path = pathPart

        var hostPart = Substring(authority)
        var portPart: Substring?
        if hostPart.first == "[" {  // [IPv6]:port
            guard let close = hostPart.firstIndex(of: "]") else { throw LWSError.invalidURL(string) }
            let after = hostPart[hostPart.index(after: close)...]
            if after.first == ":" { portPart = after.dropFirst() } else if !after.isEmpty { throw LWSError.invalidURL(string) }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex) ..< close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            portPart = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty, !hostPart.contains("@") else { throw LWSError.invalidURL(string) }
        host = String(hostPart)
        if let portPart {
            guard let value = Int(portPart), (1 ... 65535).contains(value) else { throw LWSError.invalidURL(string) }
            port = value
        } else {
            port = isSecure ? 443 : 80
        }
    }
}

import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Resolves host names away from the service thread.
///
/// lws resolves synchronously inside `lws_client_connect_via_info`, which would stall every
/// connection of the context while a slow resolver answers. So names are resolved here, on a
/// dispatch queue, and lws is handed the numeric address; the name stays in the Host header.
enum AddressResolver {
    /// Whether `host` is already a numeric IPv4 or IPv6 address.
    static func isNumeric(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// Whether `host` is a numeric IPv4 address.
    static func isIPv4(_ host: String) -> Bool {
        var v4 = in_addr()
        return inet_pton(AF_INET, host, &v4) == 1
    }

    /// The first address for `host`, IPv4 preferred, as a numeric string.
    /// - Throws: ``LWSError/dnsFailure(_:)``.
    static func resolve(_ host: String) async throws -> String {
        if isNumeric(host) { return host }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                if let address = lookUp(host) {
                    continuation.resume(returning: address)
                } else {
                    continuation.resume(throwing: LWSError.dnsFailure(host))
                }
            }
        }
    }

    private static func lookUp(_ host: String) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        var candidates: [UnsafeMutablePointer<addrinfo>] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            candidates.append(entry)
            cursor = entry.pointee.ai_next
        }
        let preferred = candidates.first { $0.pointee.ai_family == AF_INET } ?? candidates.first
        guard let entry = preferred, let address = entry.pointee.ai_addr else { return nil }
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, entry.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return nil
        }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

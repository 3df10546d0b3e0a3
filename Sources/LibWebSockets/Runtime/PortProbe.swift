#if canImport(Glibc)
import Glibc
#endif

/// Whether a listen address is free, checked by binding it for a moment (with
/// `SO_REUSEADDR`, as lws binds).
///
/// Used for the second, plain listener before the context exists: lws 4.1.6 can only report a
/// taken port there by failing `lws_create_vhost` on a running context, and a context torn down
/// on that path was seen to lose its TLS vhost's client `SSL_CTX` (with the system's CA
/// bundle, about 700 KB) under LeakSanitizer. The probe makes the usual case, a port already
/// in use, fail before lws is involved; only a port taken in the instant between the probe and
/// lws's own bind still goes that way.
enum PortProbe {
    /// `false` when binding `host:port` fails (typically `EADDRINUSE`). Port 0 is always free.
    static func isFree(host: String?, port: Int) -> Bool {
        guard port != 0 else { return true }
        if let host, AddressResolver.isIPv4(host) {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return true }
            return bind(family: AF_INET, address: &address, length: MemoryLayout<sockaddr_in>.size)
        }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = in_port_t(UInt16(port).bigEndian)
        if let host, inet_pton(AF_INET6, host, &address.sin6_addr) != 1 { return true }  // an interface name: leave it to lws
        return bind(family: AF_INET6, address: &address, length: MemoryLayout<sockaddr_in6>.size)
    }

    private static func bind<Address>(family: Int32, address: inout Address, length: Int) -> Bool {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(length)) == 0 }
        }
    }
}

import CLibwebsockets
#if canImport(Glibc)
import Glibc
#endif

/// Everything lws keeps a pointer to for a context's whole life: the protocol array and its
/// names, the listen interface, the vhost name and the retry/idle policy.
///
/// Created before `lws_create_context` and freed only after `lws_context_destroy` returns,
/// both on the service thread.
final class ContextResources {
    /// The name of protocols[0], the default that connections without a subprotocol bind to.
    static let defaultProtocolName = "lws-swift"
    static let vhostName = "lws-swift"
    /// `LWS_PRE`: the headroom every buffer handed to `lws_write` needs before its payload.
    static let pre = Int(lwsb_pre())

    let protocols: UnsafeMutablePointer<lws_protocols>
    let protocolCount: Int
    let retryPolicy: UnsafeMutablePointer<lws_retry_bo_t>
    let vhostName: UnsafeMutablePointer<CChar>
    let iface: UnsafeMutablePointer<CChar>?
    /// The second, plain listener's vhost name and interface (``LWSConfiguration/plainListen``).
    private(set) var plainVhostName: UnsafePointer<CChar>?
    private(set) var plainIface: UnsafePointer<CChar>?
    private var strings: [UnsafeMutablePointer<CChar>] = []
    /// The TLS strings lws keeps pointers to: ALPN, the server's files, the client vhost's
    /// name and trust roots.
    private(set) var tls = TLSStrings()
    /// The plain HTTP mounts: folders, and the routes under them.
    let httpMounts: HTTPMounts
    /// lws's extension table (permessage-deflate), when compression is on.
    private(set) var extensions: UnsafeMutablePointer<lws_extension>?

    struct TLSStrings {
        var alpn: UnsafePointer<CChar>?
        var certificateChain: UnsafePointer<CChar>?
        var privateKey: UnsafePointer<CChar>?
        var clientVhostName: UnsafePointer<CChar>?
        var clientTrustRoots: UnsafePointer<CChar>?
        var clientCertificateTrustRoots: UnsafePointer<CChar>?
        var certificatePEM: UnsafePointer<CChar>?
        var privateKeyPEM: UnsafePointer<CChar>?
        var clientCertificateChain: UnsafePointer<CChar>?
        var clientPrivateKey: UnsafePointer<CChar>?
    }

    init(configuration: LWSConfiguration, routeTable: HTTPRouteTable) {
        let names = [Self.defaultProtocolName] + configuration.subprotocols
        protocolCount = names.count
        protocols = .allocate(capacity: names.count + 1)  // + the zeroed terminator
        protocols.initialize(repeating: lws_protocols(), count: names.count + 1)
        vhostName = strdup(Self.vhostName)
        httpMounts = HTTPMounts(table: routeTable, files: configuration.staticFiles, routeProtocolName: Self.defaultProtocolName)
        iface = configuration.listen?.host.map { strdup($0) }
        for (index, name) in names.enumerated() {
            let cName = strdup(name)!
            strings.append(cName)
            protocols[index].name = UnsafePointer(cName)
            protocols[index].callback = lwsCallbackTrampoline
            protocols[index].per_session_data_size = 0
            protocols[index].rx_buffer_size = configuration.rxBufferSize
            protocols[index].id = UInt32(index)
        }
        retryPolicy = .allocate(capacity: 1)
        var policy = lws_retry_bo_t()
        policy.secs_since_valid_ping = UInt16(configuration.pingInterval.wholeSeconds)
        policy.secs_since_valid_hangup = UInt16(configuration.idleTimeout.wholeSeconds)
        retryPolicy.initialize(to: policy)
        if let server = configuration.tls {
            tls.alpn = keep("http/1.1")
            switch server.identity {
            case .files(let chain, let key):
                tls.certificateChain = keep(chain)
                tls.privateKey = keep(key)
            case .pem(let certificate, let key):
                tls.certificatePEM = keep(certificate)
                tls.privateKeyPEM = keep(key)
            }
            tls.clientCertificateTrustRoots = server.clientCertificateTrustRootsPath.map(keep)
        }
        if let plain = configuration.plainListen {
            plainVhostName = keep(Self.plainVhostName)
            plainIface = plain.host.map(keep)
        }
        if let compression = configuration.compression { extensions = Compression.makeExtensions(compression, keeping: keep) }
        tls.clientCertificateChain = configuration.clientTLS.certificateChainPath.map(keep)
        tls.clientPrivateKey = configuration.clientTLS.privateKeyPath.map(keep)
        tls.clientVhostName = keep(Self.clientTLSVhostName)
        tls.clientTrustRoots = keep(configuration.clientTLS.trustRootsPath ?? TLSSetup.systemTrustBundle)
    }

    /// The vhost of the plain listener beside a TLS one.
    static let plainVhostName = "lws-swift-plain"
    /// The vhost that client `wss://` connections use, made on the first one.
    static let clientTLSVhostName = "lws-swift-client-tls"

    /// A C copy of `string` that lives as long as these resources.
    private func keep(_ string: String) -> UnsafePointer<CChar> {
        let copy = strdup(string)!
        strings.append(copy)
        return UnsafePointer(copy)
    }

    /// The name pointer of protocols[0], for client connections' `local_protocol_name`.
    var defaultProtocolName: UnsafePointer<CChar> { protocols[0].name }

    deinit {
        for string in strings { free(string) }
        free(vhostName)
        if let iface { free(iface) }
        protocols.deinitialize(count: protocolCount + 1)
        protocols.deallocate()
        retryPolicy.deinitialize(count: 1)
        retryPolicy.deallocate()
        if let extensions {
            extensions.deinitialize(count: 2)
            extensions.deallocate()
        }
    }
}

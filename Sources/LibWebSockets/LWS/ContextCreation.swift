import CLibwebsockets

/// Filling `lws_context_creation_info` and creating the context, on the service thread.
extension ContextEngine {
    /// Creates the lws context from the configuration; on failure records why and returns nil.
    func createContext() -> OpaquePointer? {
        let resources = ContextResources(configuration: configuration, routeTable: routeTable)
        var info = lws_context_creation_info()
        info.port = configuration.listen.map { Int32($0.port) } ?? CONTEXT_PORT_NO_LISTEN
        info.iface = UnsafePointer(resources.iface)
        info.protocols = UnsafePointer(resources.protocols)
        info.vhost_name = UnsafePointer(resources.vhostName)
        info.mounts = resources.httpMounts.head
        info.extensions = UnsafePointer(resources.extensions)
        // Client Origin headers go out as given, not with "http://" prepended.
        info.options = LWSOptionMapping.lwsServerOptions(configuration.serverOptions) | UInt64(LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN)
        // lws 4.1 binds an IPv4 interface address on an IPv6 vhost as the IPv6 wildcard, which
        // would listen on every interface: keep an IPv4 listener IPv4 only.
        if let host = configuration.listen?.host, AddressResolver.isIPv4(host) {
            info.options |= UInt64(LWS_SERVER_OPTION_DISABLE_IPV6)
        }
        TLSSetup.apply(resources, to: &info)
        info.fd_limit_per_thread = UInt32(plan.fdLimitPerThread)
        info.count_threads = 1
        info.pt_serv_buf_size = UInt32(configuration.serviceBufferSize)
        info.max_http_header_data = UInt16(configuration.maxHTTPHeaderData)
        info.max_http_header_pool = UInt16(configuration.maxHTTPHeaderPool)
        info.timeout_secs = UInt32(configuration.handshakeTimeout.wholeSeconds)
        // A peer still sending its request headers holds a header table under lws's own
        // timeout, 10 s unless set, whatever `timeout_secs` says (a slowloris peer lasted 10 s).
        info.timeout_secs_ah_idle = UInt32(configuration.handshakeTimeout.wholeSeconds)
        info.connect_timeout_secs = UInt32(configuration.connectTimeout.wholeSeconds)
        info.retry_and_idle_policy = UnsafePointer(resources.retryPolicy)
        info.gid = -1
        info.uid = -1
        // Unretained: the service thread holds the engine until after `lws_context_destroy`.
        info.user = Unmanaged.passUnretained(self).toOpaque()

        let created = Self.creationLock.withLock { _ -> UInt in
            LWSLogBridge.apply(configuration.lwsLogLevels)
            return UInt(bitPattern: lws_create_context(&info))
        }
        guard let context = OpaquePointer(bitPattern: created) else {
            let place = configuration.listen.map { " (listening on \($0.host ?? "*"):\($0.port); is it in use?)" } ?? ""
            shared.withLock { $0.startError = .contextCreationFailed("lws_create_context returned NULL\(place); lws logs the cause") }
            return nil
        }
        var plainPort: Int?
        if let plain = configuration.plainListen {
            guard let vhost = makePlainVhost(context: context, resources: resources, host: plain.host) else {
                withExtendedLifetime(resources) { lws_context_destroy(context) }
                shared.withLock {
                    $0.startError = .contextCreationFailed(
                        "the plain listener on \(plain.host ?? "*"):\(plain.port) could not start; is the port in use?")
                }
                return nil
            }
            plainPort = Int(lws_get_vhost_listen_port(vhost))
        }
        local.value.resources = resources
        local.value.lwsContext = context
        var port: Int?
        if configuration.listen != nil, let vhost = lws_get_vhost_by_name(context, ContextResources.vhostName) {
            port = Int(lws_get_vhost_listen_port(vhost))
        }
        shared.withLock {
            $0.wakeTarget = context
            $0.listenPort = port
            $0.plainListenPort = plainPort
        }
        logger.info(
            "lws context started",
            metadata: [
                "lws.version": "\(lwsb_version_number())",
                "port": "\(port.map(String.init) ?? "none")",
                "plainPort": "\(plainPort.map(String.init) ?? "none")",
                "maxConnections": "\(configuration.maxConnections)",
                "fdLimitPerThread": "\(plan.fdLimitPerThread)",
                "fdSlots": "\(plan.slots)",
                "estimatedFDTableBytes": "\(plan.estimatedFDTableBytes)",
                "compression": "\(configuration.compression.map { "on, up to \($0.estimatedBytesPerActiveConnection) bytes per connection" } ?? "off")",
            ])
        return context
    }

    /// The plain listener beside a TLS one: a second vhost with the same protocols and limits,
    /// without `DO_SSL_GLOBAL_INIT` or a certificate, which lws takes as "no TLS here".
    private func makePlainVhost(context: OpaquePointer, resources: ContextResources, host: String?) -> OpaquePointer? {
        var info = lws_context_creation_info()
        info.port = Int32(configuration.plainListen?.port ?? 0)
        info.iface = resources.plainIface
        info.protocols = UnsafePointer(resources.protocols)
        info.vhost_name = resources.plainVhostName
        info.mounts = resources.httpMounts.head
        info.extensions = UnsafePointer(resources.extensions)
        info.options = LWSOptionMapping.lwsServerOptions(configuration.serverOptions) | UInt64(LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN)
        if let host, AddressResolver.isIPv4(host) { info.options |= UInt64(LWS_SERVER_OPTION_DISABLE_IPV6) }
        info.retry_and_idle_policy = UnsafePointer(resources.retryPolicy)
        info.timeout_secs = UInt32(configuration.handshakeTimeout.wholeSeconds)
        info.timeout_secs_ah_idle = UInt32(configuration.handshakeTimeout.wholeSeconds)
        return lws_create_vhost(context, &info)
    }
}

/// Work for the service thread, sent from other threads through the inbox.
enum ServiceCommand {
    /// Ask lws for a WRITEABLE callback on this connection.
    case writable(ConnectionCore)
    /// Turn reading back on (`lws_rx_flow_control(wsi, 1)`).
    case resumeReading(ConnectionCore)
    /// The close handshake took too long: drop the socket.
    case killIfOpen(ConnectionCore)
    /// Open a client connection.
    case connect(ClientConnectRequest)
    /// The connect did not finish in time.
    case connectDeadline(ConnectionCore)
    /// Close every connection with 1001 and stop at the deadline.
    case shutdown(deadline: ContinuousClock.Instant)
    /// Load the listener's certificate chain and key again from their files.
    case reloadCertificates(ServicePromise<Void>)
    /// A route answered: write it on the connection it came from, if that is still waiting
    /// (`wsi` as a bit pattern, `id` the ``HTTPExchange``'s).
    case httpRespond(wsi: UInt, id: UInt64, HTTPRouteResponse)
    /// Re-check the shutdown deadline.
    case tick
}

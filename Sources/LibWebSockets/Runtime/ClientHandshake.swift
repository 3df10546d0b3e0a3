/// A client connection's handshake, while it runs. Service thread only (``ConnectionLocal``).
///
/// A class, so that a server connection, which never has one, pays 8 bytes for the empty
/// reference instead of the whole struct (measured: about 80 bytes per idle connection).
final class ClientHandshake {
    /// Where the outcome goes.
    let promise: ConnectPromise
    /// Extra request headers, written in `CLIENT_APPEND_HANDSHAKE_HEADER`.
    let headers: [String: String]
    let remoteAddress: String
    let path: String
    /// lws's handle for the connection being made, once `lws_client_connect_via_info` returned.
    var wsi: OpaquePointer?
    /// The subprotocol the server chose, read before the connection opens.
    var subprotocol: String?
    /// permessage-deflate as the server answered it, read before the connection opens.
    var compression: WebSocketCompression.Negotiated?
    /// The connect deadline passed and the wsi was told to close.
    var timedOut = false
    /// Why OpenSSL refused the server's certificate, if it did.
    var tlsVerificationFailure: String?

    init(promise: ConnectPromise, headers: [String: String], remoteAddress: String, path: String) {
        self.promise = promise
        self.headers = headers
        self.remoteAddress = remoteAddress
        self.path = path
    }
}

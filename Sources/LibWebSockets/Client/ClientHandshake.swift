/// A client connection's handshake state. Service thread only.
struct ClientHandshake {
    /// Set while the handshake runs; taken when it succeeds or fails.
    var promise: ConnectPromise?
    let headers: [String: String]
    let remoteAddress: String
    let path: String
    var subprotocol: String?
    var timedOut = false
}

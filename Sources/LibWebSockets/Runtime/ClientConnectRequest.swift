/// A connect, resolved and ready for the service thread.
struct ClientConnectRequest {
    let url: WebSocketURL
    let address: String
    let headers: [String: String]
    let subprotocols: [String]
    let origin: String?
    let promise: ConnectPromise
}

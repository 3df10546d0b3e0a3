/// What an accepted upgrade carries from `HTTP_CONFIRM_UPGRADE` to `ESTABLISHED`.
struct PendingUpgrade {
    /// The client's address, as the upgrade policy decided it (``UpgradePolicy/clientAddress(peer:forwardedFor:)``).
    let remoteAddress: String
    /// Extra headers for the 101 response, written in `ADD_HEADERS`.
    var responseHeaders: [(name: String, value: String)] = []
    /// Handed to the connection's `userState`.
    var userState: (any Sendable)?
    /// The client's permessage-deflate offers, read at lws's first question about them.
    var deflateOffers: DeflateNegotiation?
    /// lws's questions about those offers so far (it asks once per offer, in order).
    var deflateQuestions = 0
    /// The offer accepted, if any.
    var compression: WebSocketCompression.Negotiated?
    /// The `server_max_window_bits` the 101 must answer, which lws cannot write itself.
    var answerServerWindow: Int?
}

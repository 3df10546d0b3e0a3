/// What an accepted upgrade carries from `HTTP_CONFIRM_UPGRADE` to `ESTABLISHED`.
struct PendingUpgrade {
    /// The client's address, as the upgrade policy decided it (``UpgradePolicy/clientAddress(peer:forwardedFor:)``).
    let remoteAddress: String
    /// Extra headers for the 101 response, written in `ADD_HEADERS`.
    var responseHeaders: [(name: String, value: String)] = []
    /// Handed to the connection's `userState`.
    var userState: (any Sendable)?
}

import CLibwebsockets

/// Closing a connection from outside its own callbacks, without a close handshake.
enum ForcedClose {
    /// Asks lws to drop `wsi` at its next timeout check, which delivers CLOSED (or
    /// CLIENT_CONNECTION_ERROR) as usual. Service thread only. (lws 4.1.6's `lws_wsi_close`
    /// macro is buggy; this is the call it should make.)
    static func killSoon(_ wsi: OpaquePointer) {
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
    }
}

/// The context pointer that other threads may use, only for `lws_cancel_service`, and only
/// while holding `ContextEngine.shared`'s lock.
struct CancelTarget: @unchecked Sendable {
    let context: OpaquePointer
}

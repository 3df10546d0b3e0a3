import CLibwebsockets

/// The one C callback lws calls for every protocol of every context this package creates.
///
/// It is a plain global function, so it has no isolation and captures nothing. Reads and
/// writes on our connections (two callbacks per echoed message) go straight to the
/// connection's box (``ConnectionCore``), which lws hands back as the wsi's opaque user data and
/// holds a retain on until `WSI_DESTROY`. Everything else goes to the ``ContextEngine``, found
/// through `lws_context_user(lws_get_context(wsi))`: an unretained pointer, valid for every
/// callback because the service thread keeps the engine alive until after
/// `lws_context_destroy` has returned.
func lwsCallbackTrampoline(
    _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?, _ length: Int
) -> Int32 {
    if let wsi, let box = lws_get_opaque_user_data(wsi) {
        // Guaranteed references: lws's retain on the box outlives the callback, so the call
        // needs no retain and release of its own (one pair per read and per write).
        switch reason {
        case LWS_CALLBACK_RECEIVE, LWS_CALLBACK_CLIENT_RECEIVE:
            return Unmanaged<ConnectionCore>.fromOpaque(box)._withUnsafeGuaranteedRef {
                $0.received(UnsafeRawBufferPointer(start: input, count: length), wsi: wsi)
            }
        case LWS_CALLBACK_SERVER_WRITEABLE, LWS_CALLBACK_CLIENT_WRITEABLE:
            return Unmanaged<ConnectionCore>.fromOpaque(box)._withUnsafeGuaranteedRef { $0.writeable(wsi: wsi) }
        default:
            break
        }
    }
    guard let wsi, let context = lws_get_context(wsi), let owner = lws_context_user(context) else {
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
    let engine = Unmanaged<ContextEngine>.fromOpaque(owner).takeUnretainedValue()
    return engine.handle(wsi: wsi, reason: reason, user: user, input: input, length: length)
}

/// The service thread's entry point, handed to `pthread_create`: it owns one retain on the
/// engine, given up when the thread ends.
func lwsServiceThreadEntry(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let argument else { return nil }
    let engine = Unmanaged<ContextEngine>.fromOpaque(argument).takeRetainedValue()
    engine.serviceThreadMain()
    return nil
}

import CLibwebsockets

/// The one C callback lws calls for every protocol of every context this package creates.
///
/// It is a plain global function, so it has no isolation and captures nothing. It finds the
/// Swift owner through `lws_context_user(lws_get_context(wsi))`, which holds an unretained
/// pointer to the ``ContextEngine``. The service thread keeps that engine alive until after
/// `lws_context_destroy` has returned, so the pointer is valid for every callback. A
/// connection's box (``ConnectionCore``) lives until `WSI_DESTROY`, so reads and writes borrow
/// it without a retain.
func lwsCallbackTrampoline(
    _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?, _ length: Int
) -> Int32 {
    // Reads and writes (two callbacks per echoed message) go straight to the connection's box,
    // which lws hands back without the two calls that find the engine.
    if let wsi, let box = lws_get_opaque_user_data(wsi) {
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
    // Borrowed, not retained: this runs for every event, and the engine outlives the context.
    return Unmanaged<ContextEngine>.fromOpaque(owner)._withUnsafeGuaranteedRef {
        $0.handle(wsi: wsi, reason: reason, user: user, input: input, length: length)
    }
}

/// The service thread's entry point, handed to `pthread_create`.
func lwsServiceThreadEntry(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let argument else { return nil }
    let engine = Unmanaged<ContextEngine>.fromOpaque(argument).takeRetainedValue()
    engine.serviceThreadMain()
    return nil
}

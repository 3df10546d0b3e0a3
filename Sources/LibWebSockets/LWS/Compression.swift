import CLibwebsockets

/// permessage-deflate: lws 4.1.6's own extension (`lws_extension_callback_pm_deflate`), behind a
/// wrapper that keeps its pointers valid and its stream uncorrupted. Service thread only.
///
/// What the wrapper adds, each for a defect of 4.1.6 (ARCHITECTURE.md has the evidence):
/// - **Input.** Each new compressed input is copied into the connection's ``DeflateBuffers``
///   before the inflater sees it, since the inflater may keep reading it after lws has reused
///   its per-thread read buffer for another connection.
/// - **A connection that is closing** inflates nothing more: lws ignores a RECEIVE's -1 while it
///   drains inflated data, so a compression bomb would otherwise be inflated to its end.
/// - **Control frames during a compressed send.** lws writes a pong or a close echo that must go
///   out between the pieces of a compressed message as a *continuation of that message*, and
///   hands the deflater new input while it still reads the old. The wrapper lets an empty
///   keep-alive ping be skipped (the send goes on) and ends the connection on any other, counted
///   in ``LWSContextStats/Snapshot/compressionConflicts``.
/// - **An empty message** goes out uncompressed (RFC 7692 allows it): a fresh compressor flushes
///   nothing for it, and 4.1.6 then fails an `assert` that Debian's build keeps (the process
///   aborts).
/// - **Context takeover.** 4.1.6 applies the two `no_context_takeover` parameters from the
///   client's point of view on both sides; on a server they are swapped here, so that
///   `server_no_context_takeover` resets the server's compressor, as RFC 7692 says.
/// - **Window.** On a listening vhost 4.1.6 sizes both its inflater and its compressor by
///   `server_max_window_bits`, for a server's connections and a client's alike (the peer may use
///   15 whatever this side's window is). When this side must compress with a smaller window, the
///   option is set to 15 before each inflate step and to that window before each deflate step;
///   zlib reads it only when a stream starts.
/// - **Step size.** lws inflates and deflates in 1 KiB steps by default, each a callback and a
///   frame; 16 KiB steps (capped by the protocol's rx buffer) cost two buffers of that size.
enum Compression {
    static let extensionName = DeflateNegotiation.extensionName
    /// log2 of the inflate and deflate step (16 KiB).
    static let stepSizeLog2 = 14

    /// lws's extension table for a context with compression on: one entry and the terminator.
    /// The names are owned by `resources`.
    static func makeExtensions(
        _ settings: WebSocketCompression, keeping keep: (String) -> UnsafePointer<CChar>
    ) -> UnsafeMutablePointer<lws_extension> {
        let table = UnsafeMutablePointer<lws_extension>.allocate(capacity: 2)
        table.initialize(repeating: lws_extension(), count: 2)
        table[0].name = keep(extensionName)
        table[0].callback = lwsCompressionTrampoline
        // client_max_window_bits lets a server ask this client for a smaller window.
        var offer = extensionName
        if settings.offerClientNoContextTakeover { offer += "; client_no_context_takeover" }
        offer += "; client_max_window_bits"
        if settings.requestServerNoContextTakeover { offer += "; server_no_context_takeover" }
        table[0].client_offer = keep(offer)
        return table
    }

    /// Appends `; server_max_window_bits=N` to the `Sec-WebSocket-Extensions` line lws just
    /// wrote. In 4.1.6's 101 (`handshake_0405` in `server-ws.c`) that line comes last, then
    /// CRLF, then `ADD_HEADERS` at `args.p`: the parameter goes in before that CRLF. Checks the
    /// layout first; false when it is not as expected or there is no room.
    static func answerServerWindow(_ bits: Int, in html: UnsafeMutablePointer<lws_process_html_args>) -> Bool {
        let parameter = Array("; server_max_window_bits=\(bits)\r\n".utf8)
        let line = Array("Sec-WebSocket-Extensions: \(extensionName)".utf8)
        guard let p = html.pointee.p, html.pointee.max_len > Int32(parameter.count) else { return false }
        let cursor = UnsafeMutableRawPointer(p).assumingMemoryBound(to: UInt8.self)
        guard cursor[-2] == 13, cursor[-1] == 10 else { return false }
        // The start of the last line: just after the LF before it (the status line ends in one,
        // so the walk stops inside the response; lws's lines are far shorter than the bound).
        var start = cursor - 3
        for _ in 0 ..< 512 where start.pointee != 10 { start -= 1 }
        start += 1
        guard cursor - 2 - start >= line.count, memcmp(start, line, line.count) == 0 else { return false }
        let at = cursor - 2  // over the CRLF, which the parameter ends with again
        for (index, byte) in parameter.enumerated() { at[index] = byte }
        html.pointee.p = UnsafeMutableRawPointer(at + parameter.count).assumingMemoryBound(to: CChar.self)
        html.pointee.max_len -= Int32(parameter.count - 2)
        return true
    }

    /// Sets one of lws's named permessage-deflate options on a connection's extension state.
    fileprivate static func setOption(
        _ name: String, _ value: Int, context: OpaquePointer?, ext: UnsafePointer<lws_extension>?, wsi: OpaquePointer?,
        state: UnsafeMutableRawPointer?
    ) {
        name.withCString { cName in
            String(value).withCString { cValue in
                var argument = lws_ext_option_arg(option_name: cName, option_index: 0, start: cValue, len: Int32(strlen(cValue)))
                _ = lws_extension_callback_pm_deflate(context, ext, wsi, LWS_EXT_CB_NAMED_OPTION_SET, state, &argument, 0)
            }
        }
    }
}

/// The extension callback lws calls for permessage-deflate on every connection that has it.
func lwsCompressionTrampoline(
    _ context: OpaquePointer?, _ ext: UnsafePointer<lws_extension>?, _ wsi: OpaquePointer?,
    _ reason: lws_extension_callback_reasons, _ user: UnsafeMutableRawPointer?, _ input: UnsafeMutableRawPointer?,
    _ length: Int
) -> Int32 {
    func lwsDeflate() -> Int32 { lws_extension_callback_pm_deflate(context, ext, wsi, reason, user, input, length) }
    switch reason {
    case LWS_EXT_CB_CONSTRUCT:
        let result = lwsDeflate()
        guard result == 0, let user, let context, let owner = lws_context_user(context) else { return result }
        let engine = Unmanaged<ContextEngine>.fromOpaque(owner).takeUnretainedValue()
        guard let settings = engine.configuration.compression else { return result }
        let state = user.load(as: UnsafeMutableRawPointer?.self)
        for (name, value) in [
            ("rx_buf_size", Compression.stepSizeLog2), ("tx_buf_size", Compression.stepSizeLog2),
            ("compression_level", settings.level), ("mem_level", settings.memoryLevel),
        ] {
            Compression.setOption(name, value, context: context, ext: ext, wsi: wsi, state: state)
        }
        return result
    case LWS_EXT_CB_OPTION_SET:
        // From a server's handshake (named options come as NAMED_OPTION_SET; a client's wsi
        // already has its box): swap the two no_context_takeover parameters into the server's
        // point of view. lws echoes the name.
        guard let input, let wsi, ConnectionCore.boxed(by: wsi) == nil else { return lwsDeflate() }
        let argument = input.assumingMemoryBound(to: lws_ext_option_arg.self)
        if argument.pointee.option_name == nil, argument.pointee.option_index == 0 || argument.pointee.option_index == 1 {
            argument.pointee.option_index = 1 - argument.pointee.option_index
        }
        return lwsDeflate()
    case LWS_EXT_CB_PAYLOAD_RX:
        guard let wsi, let input, let core = ConnectionCore.boxed(by: wsi), let buffers = core.local.value.deflate else { return lwsDeflate() }
        if core.local.value.closeFrameSent { return Int32(LWSB_PMDR_DID_NOTHING) }
        let steps = input.assumingMemoryBound(to: lwsb_pmd_ebufs.self)
        if let token = steps.pointee.eb_in.token, steps.pointee.eb_in.len > 0, !buffers.holdsInput(token) {
            guard !buffers.inputPending else {
                // lws hands new input while the inflater still reads the last: it would drop it.
                return core.compressionConflict("new compressed input arrived while lws was still inflating the last", wsi: wsi)
            }
            let copy = buffers.keepInput(UnsafeRawBufferPointer(start: token, count: Int(steps.pointee.eb_in.len)))
            steps.pointee.eb_in.token = copy.assumingMemoryBound(to: UInt8.self)
        }
        if buffers.windowBits != 15 { Compression.setOption("server_max_window_bits", 15, context: context, ext: ext, wsi: wsi, state: user) }
        let result = lwsDeflate()
        buffers.inputPending = result == LWSB_PMDR_HAS_PENDING
        // 4.1.6's client parser takes "not compressed, pass it on" as "nothing used" and hands
        // the same frame over again for ever (fixed upstream later); "unknown" it counts as used.
        if buffers.isClient, result == LWSB_PMDR_NOTHING_WE_SHOULD_DO { return Int32(LWSB_PMDR_UNKNOWN) }
        return result
    case LWS_EXT_CB_PAYLOAD_TX:
        guard let wsi, let input, let core = ConnectionCore.boxed(by: wsi), let buffers = core.local.value.deflate else { return lwsDeflate() }
        let steps = input.assumingMemoryBound(to: lwsb_pmd_ebufs.self)
        if steps.pointee.eb_in.token != nil {
            if buffers.outputPending {
                // A control frame that lws turned into the next piece of the message being sent.
                guard steps.pointee.eb_in.len == 0 else {
                    return core.compressionConflict("a control frame had to go out in the middle of a compressed message", wsi: wsi)
                }
                steps.pointee.eb_in.token = nil  // lws's empty keep-alive ping: send the next piece instead
            } else if steps.pointee.eb_in.len == 0 {
                return Int32(LWSB_PMDR_NOTHING_WE_SHOULD_DO)  // an empty message, sent as it is
            }
        }
        if buffers.windowBits != 15 {
            Compression.setOption("server_max_window_bits", buffers.windowBits, context: context, ext: ext, wsi: wsi, state: user)
        }
        let result = lwsDeflate()
        buffers.outputPending = result == LWSB_PMDR_HAS_PENDING
        return result
    default:
        return lwsDeflate()
    }
}

extension ConnectionCore {
    /// permessage-deflate is on for this connection: lws's compressor gets memory of this
    /// connection's, and messages go to lws whole (lws compresses a whole message and makes its
    /// frames itself; a fragment of ours would be taken as the next piece).
    func compressionStarted(windowBits: Int, isClient: Bool) {
        guard local.value.deflate == nil else { return }
        local.value.deflate = DeflateBuffers(windowBits: windowBits, isClient: isClient)
        state.withLock { $0.sendWholeMessages() }
        engine.stats.compressedConnectionOpened()
    }

    /// lws 4.1.6 would corrupt this connection's compressed stream: end it (logged and counted)
    /// and tell lws's extension it failed.
    fileprivate func compressionConflict(_ what: String, wsi: OpaquePointer) -> Int32 {
        engine.stats.compressionConflict()
        engine.logger.warning("permessage-deflate: \(what); closing the connection rather than corrupting it")
        ForcedClose.killSoon(wsi)
        return Int32(LWSB_PMDR_FAILED)
    }
}

/// Reassembles the chunks lws delivers (`RECEIVE`) into whole messages, enforcing the size cap.
///
/// A pure value type: it sees bytes and the first/final/binary flags lws reports for each chunk,
/// and answers with what the connection must do. It never touches lws.
struct MessageAssembler {
    enum Action: Equatable {
        /// The message is not complete yet.
        case needMore
        /// A whole message.
        case deliver(WebSocketMessage)
        /// The message passed `maxMessageSize`: close with 1009.
        case closeTooLarge
        /// A text message was not UTF-8: close with 1007.
        case closeInvalidUTF8
    }

    let maxMessageSize: Int
    /// lws already rejected invalid UTF-8 (`LWS_SERVER_OPTION_VALIDATE_UTF8`, closing with
    /// 1007), so text is decoded without a second validation pass.
    let textIsValidated: Bool
    private var buffer: [UInt8] = []
    private var isBinary = false
    private var inProgress = false

    init(maxMessageSize: Int, textIsValidated: Bool = false) {
        self.maxMessageSize = maxMessageSize
        self.textIsValidated = textIsValidated
    }

    /// Takes one chunk.
    /// - Parameters:
    ///   - chunk: the bytes; copied before this returns.
    ///   - first: `lws_is_first_fragment`: the chunk starts a message.
    ///   - final: `lws_is_final_fragment`: the chunk ends the message.
    ///   - binary: `lws_frame_is_binary`.
    ///   - remainingInFrame: `lws_remaining_packet_payload`: bytes of this frame still to come.
    ///     Reserving them up front saves a reallocation (and for big messages fresh, faulting
    ///     pages) per message.
    mutating func append(
        _ chunk: UnsafeRawBufferPointer, first: Bool, final: Bool, binary: Bool, remainingInFrame: Int = 0
    ) -> Action {
        if first || !inProgress {
            buffer.removeAll(keepingCapacity: false)
            isBinary = binary
            inProgress = true
            if final {  // the common case: a whole message in one chunk, copied once
                inProgress = false
                guard chunk.count <= maxMessageSize else { return .closeTooLarge }
                return message(from: chunk, binary: binary)
            }
        }
        if buffer.isEmpty, remainingInFrame > 0 {
            buffer.reserveCapacity(min(chunk.count + remainingInFrame, maxMessageSize))
        }
        guard buffer.count + chunk.count <= maxMessageSize else {
            reset()
            return .closeTooLarge
        }
        buffer.append(contentsOf: chunk)
        guard final else { return .needMore }
        let bytes = buffer
        reset()
        if isBinary { return .deliver(.binary(bytes)) }
        return bytes.withUnsafeBytes { message(from: $0, binary: false) }
    }

    private mutating func reset() {
        buffer = []
        inProgress = false
    }

    private func message(from bytes: UnsafeRawBufferPointer, binary: Bool) -> Action {
        if binary { return .deliver(.binary(Array(bytes))) }
        let utf8 = bytes.assumingMemoryBound(to: UInt8.self)
        if textIsValidated { return .deliver(.text(String(decoding: utf8, as: UTF8.self))) }
        guard let text = String(validating: utf8, as: UTF8.self) else { return .closeInvalidUTF8 }
        return .deliver(.text(text))
    }
}

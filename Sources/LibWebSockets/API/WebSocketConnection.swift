
/// One open WebSocket, accepted by a server or opened by ``LWSContext/connect(to:headers:subprotocols:origin:)``.
///
/// Usable from any thread or task. Messages are read in order through ``messages``, by one task
/// at a time. Sends from many tasks are queued in the order they arrive and written one frame
/// per WRITEABLE on the context's service thread.
///
/// Releasing the last reference to an open connection closes it with 1000.
public final class WebSocketConnection: Sendable {
    /// What is known about the connection from its handshake.
    public struct Info: Sendable, Hashable {
        /// The peer's IP address (server side) or the address connected to (client side).
        public let remoteAddress: String
        /// The request path with its query, e.g. "/chat?room=1".
        public let path: String
        /// The upgrade request's headers, names lower-cased (server side; empty for clients).
        public let headers: WebSocketHeaders
        /// Whether this side opened the connection.
        public let isClient: Bool
        /// Whether the connection runs over TLS (`wss://`).
        public let isSecure: Bool
        /// The fields most connections do not have, behind one reference: every open connection
        /// holds its `Info`, and a `nil` reference costs 8 bytes where two optional strings
        /// would cost 32.
        private let rare: Rare?

        /// The negotiated subprotocol, if any.
        public var subprotocol: String? { rare?.subprotocol }
        /// The common name of the client's certificate, on a server with mutual TLS
        /// (``TLSServerConfiguration/clientCertificateTrustRootsPath``); otherwise `nil`.
        public var clientCertificateCommonName: String? { rare?.clientCertificateCommonName }
        /// permessage-deflate as negotiated for this connection, or `nil` when it is uncompressed
        /// (``LWSConfiguration/compression``).
        public var compression: WebSocketCompression.Negotiated? { rare?.compression }

        init(
            remoteAddress: String, path: String, headers: WebSocketHeaders, subprotocol: String?, isClient: Bool,
            isSecure: Bool, clientCertificateCommonName: String? = nil, compression: WebSocketCompression.Negotiated? = nil
        ) {
            self.remoteAddress = remoteAddress
            self.path = path
            self.headers = headers
            self.isClient = isClient
            self.isSecure = isSecure
            rare = subprotocol == nil && clientCertificateCommonName == nil && compression == nil
                ? nil
                : Rare(subprotocol: subprotocol, clientCertificateCommonName: clientCertificateCommonName, compression: compression)
        }

        private final class Rare: Sendable, Hashable {
            let subprotocol: String?
            let clientCertificateCommonName: String?
            let compression: WebSocketCompression.Negotiated?

            init(subprotocol: String?, clientCertificateCommonName: String?, compression: WebSocketCompression.Negotiated?) {
                self.subprotocol = subprotocol
                self.clientCertificateCommonName = clientCertificateCommonName
                self.compression = compression
            }

            static func == (a: Rare, b: Rare) -> Bool {
                a.subprotocol == b.subprotocol && a.clientCertificateCommonName == b.clientCertificateCommonName
                    && a.compression == b.compression
            }

            func hash(into hasher: inout Hasher) {
                hasher.combine(subprotocol)
                hasher.combine(clientCertificateCommonName)
                hasher.combine(compression)
            }
        }
    }

    let core: ConnectionCore
    /// What the handshake said.
    public let info: Info
    private let userStateBox = Locked<(any Sendable)?>(nil)

    init(core: ConnectionCore, info: Info) {
        self.core = core
        self.info = info
    }

    deinit {
        core.requestClose(code: .normalClosure, reason: "")
    }

    /// A slot for the application's own per-connection state.
    public var userState: (any Sendable)? {
        get { userStateBox.withLock { $0 } }
        set { userStateBox.withLock { $0 = newValue } }
    }

    /// The messages the peer sends, in order. The sequence ends (`nil`) when the connection
    /// closes, and throws ``LWSError/messageTooLarge(_:)`` or ``LWSError/invalidUTF8`` when this
    /// side closed it for that reason. While nobody reads, lws stops reading from the socket once
    /// `maxInboundBuffer` bytes are waiting.
    public var messages: WebSocketInboundMessages { WebSocketInboundMessages(core: core) }

    /// Sends a message, suspending while more than `maxBackpressure` bytes wait to be written.
    ///
    /// Returns once the message is queued. Messages still queued when the connection closes are
    /// counted in ``WebSocketCloseResult/undeliveredMessages``; sends after the close throw.
    /// - Parameter message: the message.
    /// - Throws: ``LWSError/connectionClosed`` once the connection is closing or closed,
    ///   `CancellationError` if the task is cancelled while it waits.
    @inline(__always)
    nonisolated(nonsending) public func send(_ message: WebSocketMessage) async throws {
        if try core.sendWithoutWaiting(message) { return }
        try await core.sendAfterWaiting(message)
    }

    /// Sends a text message. See ``send(_:)``.
    /// - Parameter text: the text.
    nonisolated(nonsending) public func send(text: String) async throws {
        try await send(.text(text))
    }

    /// Sends a binary message. See ``send(_:)``.
    /// - Parameter binary: the bytes.
    nonisolated(nonsending) public func send(binary: [UInt8]) async throws {
        try await send(.binary(binary))
    }

    /// Queues a message without suspending.
    /// - Parameter message: the message.
    /// - Throws: ``LWSError/bufferFull`` when more than `maxBackpressure` bytes already wait,
    ///   ``LWSError/connectionClosed`` once the connection is closing or closed.
    public func trySend(_ message: WebSocketMessage) throws { try core.trySend(message) }

    /// Sends a ping and returns when its pong arrives.
    /// - Parameter payload: at most 125 bytes, echoed back in the pong.
    /// - Throws: ``LWSError/pingPayloadTooLong(_:)``, or ``LWSError/connectionClosed`` if the
    ///   connection closes first.
    public func ping(payload: [UInt8] = []) async throws { try await core.ping(payload) }

    /// Closes the connection: queued messages are written first, then the close frame; returns
    /// when the peer answered or `closeTimeout` passed. Calling it again just waits.
    /// - Parameters:
    ///   - code: a code that may be sent (``WebSocketCloseCode/isSendable``).
    ///   - reason: at most 123 bytes of UTF-8.
    /// - Returns: how the connection ended.
    /// - Throws: ``LWSError/invalidCloseCode(_:)`` or ``LWSError/closeReasonTooLong(_:)`` before
    ///   anything is sent.
    @discardableResult
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") async throws -> WebSocketCloseResult {
        guard code.isSendable else { throw LWSError.invalidCloseCode(code.rawValue) }
        guard reason.utf8.count <= 123 else { throw LWSError.closeReasonTooLong(reason.utf8.count) }
        return await core.close(code: code, reason: reason)
    }

    /// Starts the close handshake without waiting: the close frame goes out after the messages
    /// already queued, and the connection is dropped if the peer does not answer within
    /// `closeTimeout`. For the inline style, whose closures cannot await; ``closed()`` or
    /// `onClose` tell how it ended. Calling it again, or after the end, does nothing.
    /// - Parameters:
    ///   - code: a code that may be sent (``WebSocketCloseCode/isSendable``).
    ///   - reason: at most 123 bytes of UTF-8.
    /// - Throws: ``LWSError/invalidCloseCode(_:)`` or ``LWSError/closeReasonTooLong(_:)``.
    public func startClose(code: WebSocketCloseCode = .normalClosure, reason: String = "") throws {
        guard code.isSendable else { throw LWSError.invalidCloseCode(code.rawValue) }
        guard reason.utf8.count <= 123 else { throw LWSError.closeReasonTooLong(reason.utf8.count) }
        if core.requestClose(code: code, reason: reason) { core.engine.scheduleCloseTimeout(for: core) }
    }

    /// Waits until the connection has ended, however it ends.
    /// - Returns: how it ended.
    public func closed() async -> WebSocketCloseResult { await core.closeResult() }

    /// How the connection ended, or `nil` while it is open.
    public var closeResult: WebSocketCloseResult? { core.result }

    /// Bytes queued for sending and not yet handed to lws.
    public var bufferedOutboundBytes: Int { core.bufferedOutboundBytes }
}

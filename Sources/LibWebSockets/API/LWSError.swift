/// An error thrown by this package.
///
/// A struct around a private enum, so new cases can be added without breaking anyone's `switch`.
/// Compare against the static members: `catch let error as LWSError where error == .connectionRefused`.
public struct LWSError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Hashable, Sendable {
        case invalidConfiguration(String)
        case contextCreationFailed(String)
        case contextShutDown
        case connectionClosed
        case bufferFull
        case invalidCloseCode(UInt16)
        case closeReasonTooLong(Int)
        case messageTooLarge(Int)
        case invalidUTF8
        case pingPayloadTooLong(Int)
        case invalidURL(String)
        case unsupportedScheme(String)
        case connectionRefused
        case dnsFailure(String)
        case handshakeRejected(Int)
        case timeout
        case tooManyConnections
        case connectFailed(String)
        case wouldDeadlock
        case tlsFailed(String)
    }

    private let kind: Kind

    private init(_ kind: Kind) { self.kind = kind }

    /// A configuration value is out of range; the message names the field.
    public static func invalidConfiguration(_ message: String) -> LWSError { LWSError(.invalidConfiguration(message)) }
    /// The context could not start: `lws_create_context` returned NULL (address in use, bad
    /// interface, ...; lws logs the cause), or its service thread could not be created.
    public static func contextCreationFailed(_ message: String) -> LWSError { LWSError(.contextCreationFailed(message)) }
    /// The context has shut down; nothing more can be sent or connected through it.
    public static let contextShutDown = LWSError(.contextShutDown)
    /// The connection closed before the operation could complete.
    public static let connectionClosed = LWSError(.connectionClosed)
    /// A non-suspending send found the outbound buffer over `maxBackpressure`.
    public static let bufferFull = LWSError(.bufferFull)
    /// The close code may not be sent on the wire (RFC 6455 section 7.4).
    public static func invalidCloseCode(_ code: UInt16) -> LWSError { LWSError(.invalidCloseCode(code)) }
    /// The close reason is longer than 123 bytes of UTF-8.
    public static func closeReasonTooLong(_ bytes: Int) -> LWSError { LWSError(.closeReasonTooLong(bytes)) }
    /// An incoming message passed `maxMessageSize`; the connection was closed with 1009.
    public static func messageTooLarge(_ limit: Int) -> LWSError { LWSError(.messageTooLarge(limit)) }
    /// An incoming text message was not valid UTF-8; the connection was closed with 1007.
    public static let invalidUTF8 = LWSError(.invalidUTF8)
    /// A ping payload is longer than 125 bytes.
    public static func pingPayloadTooLong(_ bytes: Int) -> LWSError { LWSError(.pingPayloadTooLong(bytes)) }
    /// The URL could not be parsed as `ws://host[:port][/path]`.
    public static func invalidURL(_ url: String) -> LWSError { LWSError(.invalidURL(url)) }
    /// The URL scheme is neither `ws` nor `wss`.
    public static func unsupportedScheme(_ scheme: String) -> LWSError { LWSError(.unsupportedScheme(scheme)) }
    /// The peer refused the TCP connection.
    public static let connectionRefused = LWSError(.connectionRefused)
    /// The host name did not resolve.
    public static func dnsFailure(_ host: String) -> LWSError { LWSError(.dnsFailure(host)) }
    /// The server answered the upgrade with this HTTP status instead of 101.
    public static func handshakeRejected(status: Int) -> LWSError { LWSError(.handshakeRejected(status)) }
    /// The connect or handshake did not finish within its timeout.
    public static let timeout = LWSError(.timeout)
    /// The context's connection budget is used up (`maxConnections`, or lws's own "Too many fds").
    public static let tooManyConnections = LWSError(.tooManyConnections)
    /// The connect failed for another reason; the message is lws's.
    public static func connectFailed(_ message: String) -> LWSError { LWSError(.connectFailed(message)) }
    /// The TLS handshake with a `wss://` server failed; the message is OpenSSL's reason as lws
    /// reports it (for example a certificate that does not verify, or is for another host).
    public static func tlsFailed(_ reason: String) -> LWSError { LWSError(.tlsFailed(reason)) }
    /// A blocking call was made on the context's own service thread, where it could never return.
    public static let wouldDeadlock = LWSError(.wouldDeadlock)

    /// Lets `catch LWSError.bufferFull` and `case LWSError.timeout` match thrown errors.
    public static func ~= (pattern: LWSError, error: any Error) -> Bool {
        (error as? LWSError) == pattern
    }

    /// The HTTP status of a rejected handshake, if that is what this error is.
    public var httpStatus: Int? {
        if case .handshakeRejected(let status) = kind { return status }
        return nil
    }

    public var description: String {
        switch kind {
        case .invalidConfiguration(let m): return "invalid configuration: \(m)"
        case .contextCreationFailed(let m): return "could not create the context: \(m)"
        case .contextShutDown: return "the context has shut down"
        case .connectionClosed: return "the connection is closed"
        case .bufferFull: return "the outbound buffer is full"
        case .invalidCloseCode(let c): return "close code \(c) may not be sent (RFC 6455 7.4)"
        case .closeReasonTooLong(let n): return "close reason is \(n) bytes; at most 123 are allowed"
        case .messageTooLarge(let n): return "message larger than the limit of \(n) bytes"
        case .invalidUTF8: return "text message is not valid UTF-8"
        case .pingPayloadTooLong(let n): return "ping payload is \(n) bytes; at most 125 are allowed"
        case .invalidURL(let u): return "invalid WebSocket URL: \(u)"
        case .unsupportedScheme(let s): return "unsupported URL scheme: \(s)"
        case .connectionRefused: return "connection refused"
        case .dnsFailure(let h): return "could not resolve host \(h)"
        case .handshakeRejected(let s): return "server rejected the WebSocket handshake with HTTP \(s)"
        case .timeout: return "timed out"
        case .tooManyConnections: return "too many connections"
        case .connectFailed(let m): return "connect failed: \(m)"
        case .wouldDeadlock: return "blocking call made on the context's service thread"
        case .tlsFailed(let m): return "TLS handshake failed: \(m)"
        }
    }
}

import Foundation
@testable import LibWebSockets
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP socket on 127.0.0.1 with receive timeouts, for speaking raw bytes to a server:
/// WebSocket frames lws would never send, or HTTP answers a client must cope with.
/// Not `Sendable` (its read buffer is unguarded): the compiler keeps each one in one task.
final class RawSocket {
    let fd: Int32
    private var buffered: [UInt8] = []

    init(port: Int, timeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        setTimeout(timeout)
    }

    init(fd: Int32) {
        self.fd = fd
        setTimeout(5)
    }

    deinit { close(fd) }

    func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    /// Reads exactly `count` bytes, or fewer if the peer closes or the timeout passes.
    func read(_ count: Int) -> [UInt8] {
        while buffered.count < count {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            buffered.append(contentsOf: chunk[..<n])
        }
        let taken = Array(buffered.prefix(count))
        buffered.removeFirst(taken.count)
        return taken
    }

    /// Reads up to the end of an HTTP head ("\r\n\r\n").
    func readHTTPHead() -> String {
        var head: [UInt8] = []
        while !head.ends(with: [13, 10, 13, 10]) {
            let byte = read(1)
            if byte.isEmpty { break }
            head += byte
        }
        return String(decoding: head, as: UTF8.self)
    }

    /// Whether the peer closed the TCP connection (read returns 0 or an error) within the timeout.
    func peerClosed() -> Bool {
        var byte: UInt8 = 0
        while true {
            let n = recv(fd, &byte, 1, 0)
            if n == 0 { return true }
            if n < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        }
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

/// A WebSocket client that writes frames by hand, so tests can send what lws never would.
/// Not `Sendable`, like the ``RawSocket`` it owns.
final class RawWebSocketClient {
    let socket: RawSocket

    /// The server's answer to the upgrade, status line and headers.
    let head: String

    struct Frame {
        var fin: Bool
        var opcode: UInt8
        var payload: [UInt8]
        /// RSV1: the message is compressed (permessage-deflate), on its first frame.
        var rsv1 = false

        var closeCode: UInt16? {
            opcode == 8 && payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
        }
    }

    init(port: Int, path: String = "/", extraHeaders: String = "") throws {
        socket = try RawSocket(port: port)
        socket.write(
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(extraHeaders)\r\n")
        head = socket.readHTTPHead()
        guard head.hasPrefix("HTTP/1.1 101") else { throw HandshakeFailed(head: head) }
    }

    struct HandshakeFailed: Error { let head: String }

    /// Sends one frame; `opcode` may carry RSV bits (0x40 | 1: a compressed text frame).
    /// `masked: false` breaks RFC 6455 for a client on purpose.
    func send(opcode: UInt8, payload: [UInt8], fin: Bool = true, masked: Bool = true, lengthOverride: UInt64? = nil) {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        let length = lengthOverride ?? UInt64(payload.count)
        if length < 126 {
            frame.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            frame.append(maskBit | 126)
            frame += [UInt8(length >> 8), UInt8(length & 0xFF)]
        } else {
            frame.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((length >> UInt64(shift)) & 0xFF)) }
        }
        if masked {
            let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
            frame += mask
            frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        } else {
            frame += payload
        }
        socket.write(frame)
    }

    /// Reads one frame from the server, or `nil` if the connection ended or timed out.
    func readFrame() -> Frame? {
        let head = socket.read(2)
        guard head.count == 2 else { return nil }
        var length = UInt64(head[1] & 0x7F)
        if length == 126 {
            let extended = socket.read(2)
            guard extended.count == 2 else { return nil }
            length = UInt64(extended[0]) << 8 | UInt64(extended[1])
        } else if length == 127 {
            let extended = socket.read(8)
            guard extended.count == 8 else { return nil }
            length = extended.reduce(0) { $0 << 8 | UInt64($1) }
        }
        let payload = socket.read(Int(length))
        guard payload.count == Int(length) else { return nil }
        return Frame(fin: head[0] & 0x80 != 0, opcode: head[0] & 0x0F, payload: payload, rsv1: head[0] & 0x40 != 0)
    }

    /// Reads frames until a close frame arrives; returns its code (`nil` if none came).
    func readCloseCode() -> UInt16? {
        while let frame = readFrame() {
            if frame.opcode == 8 { return frame.closeCode ?? 1005 }
        }
        return nil
    }
}

/// A TCP listener on 127.0.0.1 that answers each connection with `reply` (or nothing) and then
/// holds it open: a stand-in for servers that refuse or ignore the WebSocket handshake.
/// Checked `Sendable` (its accept thread holds it weakly): every stored property is a `let`, and
/// the accepted descriptors sit in a `Locked`.
final class RawListener: Sendable {
    let fd: Int32
    let port: Int
    private let accepted = Locked<[Int32]>([])

    init(reply: String?) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        listen(fd, 16)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: bound.sin_port))
        Thread { [weak self] in
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                guard let self else { close(client); return }
                self.accepted.withLock { $0.append(client) }
                if let reply {
                    var request = [UInt8](repeating: 0, count: 4096)
                    _ = recv(client, &request, request.count, 0)
                    _ = reply.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                }
            }
        }.start()
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        accepted.withLock { for client in $0 { close(client) } }
    }
}

/// A port on 127.0.0.1 with nothing listening on it.
func unusedPort() -> Int {
    let listener = RawListener(reply: nil)
    return listener.port
}

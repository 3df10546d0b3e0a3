import CZlib
import Foundation

/// One direction of raw deflate (RFC 7692's framing), with zlib. Not `Sendable`.
final class ZlibStream {
    /// Allocated once: zlib keeps the stream's address and checks it on every call.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let compressing: Bool

    /// - Parameters:
    ///   - compressing: deflate (true) or inflate (false).
    ///   - level: zlib's level, when compressing.
    ///   - windowBits: the window, 9 to 15.
    init(compressing: Bool, level: Int32 = 6, windowBits: Int32 = 15) {
        self.compressing = compressing
        stream.initialize(to: z_stream())
        let status = compressing ? lwsbt_deflate_init(stream, level, windowBits) : lwsbt_inflate_init(stream, windowBits)
        precondition(status == Z_OK, "zlib init failed: \(status)")
    }

    deinit {
        if compressing { deflateEnd(stream) } else { inflateEnd(stream) }
        stream.deallocate()
    }

    /// RFC 7692 7.2.1: deflate with a sync flush and drop the trailing 00 00 FF FF.
    func compress(_ bytes: [UInt8]) -> [UInt8] {
        // zlib flushes nothing for no input; an empty stored block is the empty message.
        if bytes.isEmpty { return [0] }
        var output = try! run(bytes, flush: Z_SYNC_FLUSH)
        precondition(output.suffix(4) == [0, 0, 0xFF, 0xFF], "no sync-flush trailer in \(output.count) bytes: \(output.suffix(8))")
        output.removeLast(4)
        return output
    }

    /// RFC 7692 7.2.2: append 00 00 FF FF and inflate. Throws on corrupt input.
    func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
        try run(bytes + [0, 0, 0xFF, 0xFF], flush: Z_SYNC_FLUSH)
    }

    private struct Corrupt: Error { let status: Int32 }

    private func run(_ input: [UInt8], flush: Int32) throws -> [UInt8] {
        var input = input
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        try input.withUnsafeMutableBufferPointer { inBuffer in
            stream.pointee.next_in = inBuffer.baseAddress
            stream.pointee.avail_in = UInt32(inBuffer.count)
            repeat {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.pointee.next_out = outBuffer.baseAddress
                    stream.pointee.avail_out = UInt32(outBuffer.count)
                    return compressing ? deflate(stream, flush) : inflate(stream, flush)
                }
                guard status == Z_OK || status == Z_BUF_ERROR || status == Z_STREAM_END else { throw Corrupt(status: status) }
                output += chunk[0 ..< (chunk.count - Int(stream.pointee.avail_out))]
            } while stream.pointee.avail_out == 0
        }
        return output
    }
}

/// A WebSocket client written in the test that speaks permessage-deflate with zlib: it offers
/// what it is told, compresses what it sends and inflates what it receives, checking every byte.
final class DeflatePeer {
    let raw: RawWebSocketClient
    /// The server's `Sec-WebSocket-Extensions` answer, or `nil`.
    let accepted: String?
    private var compressor = ZlibStream(compressing: true)
    private var decompressor = ZlibStream(compressing: false)
    /// Reset the compressor after every message (`client_no_context_takeover`).
    var resetCompressorPerMessage = false
    /// Reset the decompressor after every message: the server promised it resets its own
    /// compressor (`server_no_context_takeover`), so a message never refers to an earlier one.
    var resetDecompressorPerMessage = false
    private var decompressorWindowBits: Int32 = 15

    /// - Parameters:
    ///   - port: the server's port on 127.0.0.1.
    ///   - offer: the `Sec-WebSocket-Extensions` value to send, or `nil` for none.
    init(port: Int, offer: String? = "permessage-deflate; client_max_window_bits") throws {
        raw = try RawWebSocketClient(port: port, extraHeaders: offer.map { "Sec-WebSocket-Extensions: \($0)\r\n" } ?? "")
        raw.socket.setTimeout(10)
        accepted = raw.head.split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("sec-websocket-extensions:") }
            .map { String($0.dropFirst("sec-websocket-extensions:".count)).trimmingCharacters(in: .whitespaces) }
    }

    /// Inflates with a window of `windowBits` from now on: output that refers further back fails.
    func useDecompressor(windowBits: Int32) {
        decompressorWindowBits = windowBits
        decompressor = ZlibStream(compressing: false, windowBits: windowBits)
    }

    /// Sends one message compressed, in `fragments` frames (RSV1 on the first only).
    func send(_ bytes: [UInt8], text: Bool = false, fragments: Int = 1) {
        let compressed = compressor.compress(bytes)
        if resetCompressorPerMessage { compressor = ZlibStream(compressing: true) }
        sendFrames(compressed, opcode: (text ? 1 : 2) | 0x40, fragments: fragments)
    }

    /// Sends one message as it is, with RSV1 clear.
    func sendUncompressed(_ bytes: [UInt8], text: Bool = false) {
        sendFrames(bytes, opcode: text ? 1 : 2, fragments: 1)
    }

    /// Sends `payload` split into `fragments` frames, the first with `opcode`.
    func sendFrames(_ payload: [UInt8], opcode: UInt8, fragments: Int) {
        let size = max(1, (payload.count + fragments - 1) / fragments)
        var start = 0
        for index in 0 ..< fragments {
            let end = index == fragments - 1 ? payload.count : min(payload.count, start + size)
            raw.send(opcode: index == 0 ? opcode : 0, payload: Array(payload[start ..< end]), fin: index == fragments - 1)
            start = end
        }
    }

    /// What one `receive` got.
    enum Received: Equatable {
        case message(bytes: [UInt8], compressed: Bool, opcode: UInt8)
        case close(UInt16)
        case ended
    }

    /// Reads the next message (inflating it when RSV1 says so), a close frame, or the end.
    func receive() throws -> Received {
        var payload: [UInt8] = []
        var first: RawWebSocketClient.Frame?
        while let frame = raw.readFrame() {
            if frame.opcode == 8 { return .close(frame.closeCode ?? 1005) }
            if frame.opcode == 9 || frame.opcode == 10 { continue }
            if first == nil { first = frame }
            payload += frame.payload
            guard frame.fin, let first else { continue }
            guard first.rsv1 else { return .message(bytes: payload, compressed: false, opcode: first.opcode) }
            let bytes = try decompressor.decompress(payload)
            if resetDecompressorPerMessage { decompressor = ZlibStream(compressing: false, windowBits: decompressorWindowBits) }
            return .message(bytes: bytes, compressed: true, opcode: first.opcode)
        }
        return .ended
    }
}

/// Text that compresses well, like a JSON API's: `count` bytes, varied by `seed`.
func compressibleText(_ count: Int, seed: Int = 0) -> [UInt8] {
    var text = ""
    var i = seed
    while text.utf8.count < count {
        text += "{\"id\":\(i),\"name\":\"user-\(i % 97)\",\"active\":\(i % 3 == 0),\"score\":\(i * 7 % 1000)},"
        i += 1
    }
    return Array(text.utf8.prefix(count))
}

/// Bytes that do not compress: a deterministic pseudo-random stream.
func incompressibleBytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0 ..< count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

/// Compressed data that inflates to far more than it weighs, written bit by bit (RFC 1951
/// fixed-Huffman codes) so that making it costs nothing: one literal 0, then copies of 258
/// bytes at distance 1 (about 1:1000), then the end of the block and the empty stored block
/// whose last 4 bytes permessage-deflate leaves out.
enum DeflateBomb {
    static func zeros(inflatedSize: Int) -> [UInt8] {
        var writer = BitWriter()
        writer.bits(0, count: 1)  // BFINAL 0
        writer.bits(1, count: 2)  // BTYPE 01: fixed Huffman
        writer.code(0x30, count: 8)  // literal 0
        for _ in 0 ..< (inflatedSize - 1) / 258 {
            writer.code(0xC5, count: 8)  // length code 285: 258 bytes
            writer.code(0, count: 5)  // distance code 0: 1 back
        }
        writer.code(0, count: 7)  // end of block (256)
        writer.bits(0, count: 3)  // an empty stored block follows: BFINAL 0, BTYPE 00
        return writer.bytes  // padded to the byte; its 00 00 FF FF is the trailer left out
    }

    /// Writes bits LSB-first into bytes, as deflate does.
    private struct BitWriter {
        var bytes: [UInt8] = []
        private var used = 8

        /// A value's `count` low bits, least significant first (headers, extra bits).
        mutating func bits(_ value: Int, count: Int) {
            for bit in 0 ..< count { put((value >> bit) & 1) }
        }

        /// A Huffman code, most significant bit first.
        mutating func code(_ value: Int, count: Int) {
            for bit in stride(from: count - 1, through: 0, by: -1) { put((value >> bit) & 1) }
        }

        private mutating func put(_ bit: Int) {
            if used == 8 {
                bytes.append(0)
                used = 0
            }
            bytes[bytes.count - 1] |= UInt8(bit) << UInt8(used)
            used += 1
        }
    }
}

/// A failed check on a thread of the test's own, where `#expect` cannot reach the running test:
/// thrown, so the test fails with it.
struct PeerCheckFailed: Error, CustomStringConvertible {
    let description: String
}

/// Throws ``PeerCheckFailed`` unless `actual == expected`.
func check<T: Equatable>(_ actual: T, _ expected: T, _ what: String = "", file: StaticString = #filePath, line: UInt = #line) throws {
    guard actual == expected else {
        throw PeerCheckFailed(description: "\(file):\(line): \(what) got \(String(describing: actual).prefix(300)), expected \(String(describing: expected).prefix(300))")
    }
}

/// Throws ``PeerCheckFailed`` unless `condition` holds.
func check(_ condition: Bool, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
    guard condition else { throw PeerCheckFailed(description: "\(file):\(line): \(what)") }
}
